"""Push a dataset to the Hugging Face Hub with the result of LeRobot's ``push_to_hub``: the repo created if missing
(``exist_ok``), the dataset's files (never lerec's scratch), a dataset card with LeRobot's tags and the user's, and
the ``v3.0`` tag on the pushed revision.

Only what is missing or changed is sent: the remote tree (with each LFS file's SHA-256) is compared with the local
files before anything is read twice, and the changes go in **one commit**, data and videos with the metadata that
names them, so the Hub never shows an episode whose files are not there. huggingface_hub uploads each LFS file
before that commit and skips those the Hub already holds, so a push that was killed, run again, sends only what
had not arrived. ``only_closed`` (a recording session's background upload) sends the closed data and video files
and no metadata.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from lerec.dataset.reading.remote import hub_errors, import_hub
from lerec.dataset.spec import format as fmt
from lerec.dataset.store.lock import dataset_lock
from lerec.dataset.store.metadata import DatasetMeta
from lerec.dataset.store.unfinished import REPAIR_HINT, unfinished_save
from lerec.errors import DatasetError, SettingsError
from lerec.hub.card import dataset_card
from lerec.hub.files import HashCache, LocalFile, closed_paths, published_paths

CARD_PATH = "README.md"


@attrs.frozen
class PushReport:
    repo_id: str
    revision: str
    files: tuple[str, ...]  # the files the commit added or changed (empty: the Hub was up to date)
    size: int  # their bytes
    commit: str | None
    tagged: bool | None  # the v3.0 tag was (re)placed on the pushed revision (None: only closed files were sent)
    deleted: tuple[str, ...] = ()  # the dataset's files the Hub had and the dataset no longer has

    def summary(self) -> str:
        if not self.files and not self.deleted:
            return f"{self.repo_id} ({self.revision}) is up to date: nothing uploaded"
        if self.tagged is None:
            return f"{len(self.files)} closed file(s), {self.size / 1e6:.1f} MB uploaded to {self.repo_id}"
        removed = f", removed {len(self.deleted)}" if self.deleted else ""
        return (f"pushed {len(self.files)} file(s), {self.size / 1e6:.1f} MB{removed} to {self.repo_id} "
                f"({self.revision}, commit {self.commit[:8] if self.commit else '?'})")


def require_token() -> str:
    """The Hugging Face token (HF_TOKEN or ``hf auth login``), or a SettingsError saying how to give one."""
    token = import_hub().get_token()
    if not token:
        raise SettingsError("no Hugging Face token: run `hf auth login` or set HF_TOKEN")
    return token


def git_blob_oid(content: bytes) -> str:
    """A small file's id as git (and the Hub's tree listing) names it."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _remote_ids(api: Any, repo_id: str, revision: str) -> dict[str, str]:
    """Each file at ``revision``: its SHA-256 if it is an LFS file, else its git blob id."""
    return {entry.path: (entry.lfs.sha256 if entry.lfs is not None else entry.blob_id)
            for entry in api.list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True)
            if hasattr(entry, "blob_id")}


def _unchanged(root: Path, local: LocalFile, remote: str | None) -> bool:
    if remote is None:
        return False
    if remote == local.sha256:
        return True
    return len(remote) == 40 and local.size < fmt.MIB and git_blob_oid((root / local.path).read_bytes()) == remote


def _order(path: str) -> tuple[int, str]:
    """Data and videos first, the metadata that names them after, the rest (the card) last: the order of the
    commit's lines. Below 3: a file of the layout."""
    return ({fmt.DATA: 0, fmt.VIDEOS_DIR: 1, fmt.META_DIR: 2}.get(path.split("/", 1)[0], 3), path)


def push(root: str | Path, repo_id: str, *, private: bool | None = None, tags: Sequence[str] = (),
         revision: str = "main", branch: str | None = None, only_closed: bool = False,
         log: Callable[[str], None] = lambda line: None) -> PushReport:
    """Push the dataset at ``root`` to ``repo_id`` (a dataset repo): to ``branch`` (created from ``revision`` if
    missing) or, without one, to ``revision``. Raises SettingsError (no token), DatasetError (not a dataset, a
    session is writing into it, or a crash left a save half done) or HubError, each before anything is uploaded."""
    root = Path(root)
    require_token()
    target = branch or revision
    if only_closed:  # the recording session holds the dataset's lock, and appends to no file listed here
        return _push(root, repo_id, DatasetMeta.load(root), private, tags, revision, branch, target, True, log)
    DatasetMeta.load(root, uncommitted=True)  # a dataset, before the lock makes a folder
    with dataset_lock(root, f"lerec push {root}"):
        meta = DatasetMeta.load(root, uncommitted=True)
        left = unfinished_save(root, meta, temporaries=False)  # temporary files are never published
        if left:  # files ahead of info.json: publishing them would publish a half-saved episode
            raise DatasetError(f"{root}: an interrupted save left {left[0]}; {REPAIR_HINT}, then push")
        return _push(root, repo_id, meta, private, tags, revision, branch, target, False, log)


def _push(root, repo_id, meta, private, tags, revision, branch, target, only_closed, log) -> PushReport:
    hf = import_hub()
    api = hf.HfApi()
    with hub_errors(repo_id, target):
        api.whoami()  # the token is valid and the endpoint answers, before anything else
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if branch is not None:
            api.create_branch(repo_id, branch=branch, revision=revision, repo_type="dataset", exist_ok=True)
        remote = _remote_ids(api, repo_id, target)
    cache = HashCache(root)
    # The card is made from info.json each time (as LeRobot's push does): a README.md on disk is not sent.
    paths = closed_paths(root) if only_closed else [p for p in published_paths(root) if p != CARD_PATH]
    local = [cache.file(path) for path in paths]
    cache.save()
    changed = sorted((f for f in local if not _unchanged(root, f, remote.get(f.path))), key=lambda f: _order(f.path))
    operations = []
    for f in changed:
        operation = hf.CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(root / f.path))
        operation.upload_info.sha256 = bytes.fromhex(f.sha256)  # hashed once, above
        operations.append(operation)
    deleted: list[str] = []
    if not only_closed:  # the layout's files the dataset no longer has (an edit renumbered them) go in the commit
        kept = set(paths)
        deleted = sorted(p for p in remote if _order(p)[0] < 3 and p not in kept)
        operations += [hf.CommitOperationDelete(path_in_repo=p) for p in deleted]
        card = dataset_card(repo_id, meta.info, tags).encode()
        if remote.get(CARD_PATH) != git_blob_oid(card):
            changed.append(LocalFile(CARD_PATH, len(card), hashlib.sha256(card).hexdigest()))
            operations.append(hf.CommitOperationAdd(path_in_repo=CARD_PATH, path_or_fileobj=card))
    commit = None
    if operations:
        log(f"uploading {len(operations)} file(s), {sum(f.size for f in changed) / 1e6:.1f} MB to {repo_id}")
        message = (f"lerec: {len(operations)} closed file(s) of a recording session" if only_closed else
                   f"lerec: {meta.info['total_episodes']} episodes, {meta.info['total_frames']} frames")
        with hub_errors(repo_id, target):
            _upload_each_content_once(api, repo_id, target, operations)
            commit = api.create_commit(repo_id, operations=operations, commit_message=message,
                                       repo_type="dataset", revision=target).oid
    tagged = None
    if not only_closed:
        with hub_errors(repo_id, target):
            tagged = _tag(api, repo_id, target)
    return PushReport(repo_id, target, tuple(f.path for f in changed), sum(f.size for f in changed), commit, tagged,
                      tuple(deleted))


def _upload_each_content_once(api: Any, repo_id: str, target: str, operations: list) -> None:
    """When the commit adds one content under several paths (two cameras that saw the same thing), upload one file
    of each content first: huggingface_hub would send every copy, since none is on the Hub when it asks.
    ``create_commit`` then finds each content there and sends no copy again."""
    adds = [op for op in operations if hasattr(op, "upload_info")]
    firsts = list({op.upload_info.sha256: op for op in reversed(adds)}.values())
    if len(firsts) < len(adds):
        api.preupload_lfs_files(repo_id, additions=firsts[::-1], repo_type="dataset", revision=target,
                                free_memory=False)


def _tag(api: Any, repo_id: str, target: str) -> bool:
    """Point the ``v3.0`` tag at ``target``'s head (LeRobot loads that tag by default); False if it already was."""
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    head = next((ref.target_commit for ref in refs.branches if ref.name == target), None)
    tag = next((ref for ref in refs.tags if ref.name == fmt.CODEBASE_VERSION), None)
    if tag is not None and tag.target_commit == head:
        return False
    if tag is not None:
        api.delete_tag(repo_id, tag=fmt.CODEBASE_VERSION, repo_type="dataset")
    api.create_tag(repo_id, tag=fmt.CODEBASE_VERSION, revision=target, repo_type="dataset")
    return True
