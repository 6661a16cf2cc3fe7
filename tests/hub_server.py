"""A small Hugging Face Hub for the tests, on 127.0.0.1: the endpoints huggingface_hub's client calls to create a
dataset repo, upload to it (preupload, the LFS batch API with the basic transfer, the ndjson commit), tag it, list
it and download from it (``/resolve``). What it receives is kept on disk (``root/objects/<sha256>`` and one
``repo.json`` per repo), so a test compares every pushed file byte for byte.

Requests and answers follow huggingface_hub's own code (``hf_api.py``, ``_commit_api.py``, ``lfs.py``,
``file_download.py``). Where the real Hub's behaviour is assumed rather than read from the client, docs/publishing.md
says so: which files are LFS, repo creation with a ``.gitattributes`` commit, the access rules, no Xet (the tests
set ``HF_HUB_DISABLE_XET=1``), and LFS content served directly instead of through a CDN redirect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".parquet", ".mp4", ".png", ".jpg", ".arrow", ".bin", ".mkv", ".avi")
LFS_MIN_SIZE = 10 * 1024 * 1024  # larger files are LFS whatever their name
GITATTRIBUTES = "".join(f"*{suffix} filter=lfs diff=lfs merge=lfs -text\n" for suffix in LFS_SUFFIXES).encode()


def git_blob_oid(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


class HubState:
    """Users, repos and stored objects; every change under one lock, written to ``root`` as it happens."""

    def __init__(self, root: Path, tokens: dict[str, dict]):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.tokens = tokens  # token -> {"name": user, "orgs": [org, ...]}
        self.lock = threading.Lock()
        self.repos: dict[str, dict] = {}
        self.lfs_requests = 0  # LFS PUTs received
        self.lfs_uploads: list[str] = []  # the oids of every LFS PUT stored, in order
        self.commits: list[tuple[str, list[str]]] = []  # (repo id, paths) of every commit received
        self.hold_uploads_after: int | None = None  # LFS PUTs past this many wait for `release`, then fail
        self.release = threading.Event()
        self.reject_uploads = False  # answer every LFS PUT 400, as a storage that refuses them
        for path in self.root.glob("repos/*/*/repo.json"):
            repo = json.loads(path.read_text())
            self.repos[repo["id"]] = repo

    # --- storage -------------------------------------------------------------------------------------------------
    def store(self, content: bytes) -> str:
        sha = hashlib.sha256(content).hexdigest()
        target = self.objects / sha
        if not target.exists():  # two files of the same content can be uploaded at once: a temporary file each
            tmp = target.with_suffix(f".{threading.get_ident()}.part")
            tmp.write_bytes(content)
            tmp.replace(target)
        return sha

    def has_object(self, sha: str) -> bool:
        return (self.objects / sha).is_file()

    def save(self, repo: dict) -> None:
        path = self.root / "repos" / repo["id"] / "repo.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(repo))
        tmp.replace(path)

    # --- access --------------------------------------------------------------------------------------------------
    def user(self, token: str | None) -> dict | None:
        return self.tokens.get(token) if token else None

    @staticmethod
    def can_write(user: dict | None, namespace: str) -> bool:
        return user is not None and (namespace == user["name"] or namespace in user.get("orgs", ()))

    def can_read(self, user: dict | None, repo: dict) -> bool:
        return not repo["private"] or self.can_write(user, repo["id"].split("/")[0])

    # --- repos ---------------------------------------------------------------------------------------------------
    def create(self, repo_id: str, private: bool) -> dict:
        repo = {"id": repo_id, "private": private, "commits": {}, "branches": {}, "tags": {}}
        self.commit(repo, "main", "initial commit", {".gitattributes": self.entry(GITATTRIBUTES, lfs=False)}, None)
        return repo

    def entry(self, content: bytes, lfs: bool) -> dict:
        sha = self.store(content)
        if lfs:
            return {"sha256": sha, "size": len(content), "lfs": True,
                    "oid": git_blob_oid(lfs_pointer(sha, len(content)))}
        return {"sha256": sha, "size": len(content), "lfs": False, "oid": git_blob_oid(content)}

    def commit(self, repo: dict, branch: str, message: str, files: dict, parent: str | None) -> str:
        oid = hashlib.sha1(json.dumps([parent, message, files, time.time_ns()], sort_keys=True).encode()).hexdigest()
        repo["commits"][oid] = {"parent": parent, "message": message, "files": files}
        repo["branches"][branch] = oid
        self.save(repo)
        return oid

    @staticmethod
    def resolve(repo: dict, revision: str) -> str | None:
        revision = unquote(revision)
        if revision in repo["branches"]:
            return repo["branches"][revision]
        if revision in repo["tags"]:
            return repo["tags"][revision]
        return revision if revision in repo["commits"] else None

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        """Every file of ``repo_id`` at ``revision``, with its content (for the tests' assertions)."""
        repo = self.repos[repo_id]
        files = repo["commits"][self.resolve(repo, revision)]["files"]
        return {path: (self.objects / entry["sha256"]).read_bytes() for path, entry in files.items()}


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: HubState  # set on the subclass made for each server

    def log_message(self, format, *args):  # quiet
        pass

    # --- plumbing ------------------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return b""

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _json(self, status: int, value, headers: dict | None = None) -> None:
        self._send(status, json.dumps(value).encode(), headers)

    def _error(self, status: int, message: str, code: str | None = None, headers: dict | None = None) -> None:
        headers = dict(headers or {})
        headers["X-Error-Message"] = message
        if code:
            headers["X-Error-Code"] = code
        self._json(status, {"error": message}, headers)

    def _user(self) -> dict | None:
        auth = self.headers.get("authorization") or ""
        return self.state.user(auth[7:] if auth.lower().startswith("bearer ") else None)

    def _endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _readable(self, repo_id: str) -> dict | None:
        """The repo if the caller may read it; else None, after answering 404 RepoNotFound (as the Hub does for a
        private repo too, so that it does not tell it exists)."""
        repo = self.state.repos.get(repo_id)
        if repo is None or not self.state.can_read(self._user(), repo):
            self._error(404, "Repository not found", "RepoNotFound")
            return None
        return repo

    def _readable_at(self, repo_id: str, revision: str) -> tuple[dict | None, str | None]:
        """The repo and the commit ``revision`` names, if the caller may read it; else (.., None), answered."""
        repo = self._readable(repo_id)
        sha = self.state.resolve(repo, revision) if repo is not None else None
        if repo is not None and sha is None:
            self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return repo, sha

    def _writable(self, repo_id: str) -> dict | None:
        repo = self._readable(repo_id)
        if repo is not None and not self.state.can_write(self._user(), repo_id.split("/")[0]):
            self._error(403, f"You don't have the rights to write to {repo_id}")
            return None
        return repo

    # --- routing -------------------------------------------------------------------------------------------------
    ROUTES = [
        ("GET", r"/api/whoami-v2", "whoami"),
        ("POST", r"/api/repos/create", "create_repo"),
        ("POST", r"/api/validate-yaml", "validate_yaml"),
        ("GET", r"/api/datasets/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?", "repo_info"),
        ("POST", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", r"/datasets/(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch", "lfs_batch"),
        ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_upload"),
        ("POST", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/commit/(?P<rev>[^/]+)", "commit"),
        ("GET", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?P<path>/.*)?", "tree"),
        ("GET", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/refs", "refs"),
        ("POST", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/tag/(?P<rev>[^/]+)", "create_tag"),
        ("DELETE", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/tag/(?P<tag>[^/]+)", "delete_tag"),
        ("POST", r"/api/datasets/(?P<repo>[^/]+/[^/]+)/branch/(?P<branch>[^/]+)", "create_branch"),
        ("GET", r"/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        ("HEAD", r"/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
    ]

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        for verb, pattern, name in self.ROUTES:
            found = re.fullmatch(pattern, url.path)
            if verb == method and found:
                with_lock = name not in ("lfs_upload", "resolve")  # uploads and downloads run side by side
                args = {k: unquote(v) for k, v in found.groupdict().items() if v is not None}
                if with_lock:
                    with self.state.lock:
                        getattr(self, name)(**args)
                else:
                    getattr(self, name)(**args)
                return
        self._body()
        self._error(404, f"no route for {method} {url.path}")

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def do_DELETE(self):
        self._route("DELETE")

    def do_HEAD(self):
        self._route("HEAD")

    # --- endpoints -----------------------------------------------------------------------------------------------
    def whoami(self):
        user = self._user()
        if user is None:
            self._error(401, "Invalid credentials in Authorization header")
            return
        self._json(200, {"type": "user", "name": user["name"], "orgs": [{"name": o} for o in user.get("orgs", ())],
                         "auth": {"type": "access_token", "accessToken": {"role": "write"}}})

    def create_repo(self):
        payload = json.loads(self._body() or b"{}")
        user = self._user()
        if user is None:
            self._error(401, "Invalid credentials in Authorization header")
            return
        if payload.get("type") != "dataset":
            self._error(400, "this test hub holds dataset repos only")
            return
        namespace = payload.get("organization") or user["name"]
        repo_id = f"{namespace}/{payload['name']}"
        url = f"{self._endpoint()}/datasets/{repo_id}"
        if not self.state.can_write(user, namespace):
            self._error(403, f"You don't have the rights to create a dataset under the namespace {namespace}")
            return
        if repo_id in self.state.repos:
            self._json(409, {"error": "You already created this dataset repo", "url": url},
                       {"X-Error-Message": "You already created this dataset repo"})
            return
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        self.state.repos[repo_id] = self.state.create(repo_id, private)
        self._json(200, {"url": url, "name": repo_id, "id": repo_id})

    def validate_yaml(self):
        self._body()
        self._json(200, {"errors": [], "warnings": []})

    def repo_info(self, repo: str, rev: str = "main"):
        found, sha = self._readable_at(repo, rev)
        if sha is None:
            return
        files = found["commits"][sha]["files"]
        self._json(200, {"id": repo, "sha": sha, "private": found["private"], "tags": [], "downloads": 0,
                         "likes": 0, "siblings": [{"rfilename": path} for path in sorted(files)]})

    def preupload(self, repo: str, rev: str):
        payload = json.loads(self._body())
        found = self._writable(repo)
        if found is None:
            return
        sha = self.state.resolve(found, rev)
        files = found["commits"][sha]["files"] if sha else {}
        answer = []
        for item in payload["files"]:
            path = item["path"]
            lfs = path.endswith(LFS_SUFFIXES) or item["size"] >= LFS_MIN_SIZE
            entry = files.get(path)
            oid = None
            if entry is not None:
                oid = entry["sha256"] if entry["lfs"] else entry["oid"]
            answer.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                           "oid": oid})
        self._json(200, {"files": answer, "commitOid": sha})

    def lfs_batch(self, repo: str):
        payload = json.loads(self._body())
        if self._writable(repo) is None:
            return
        objects = []
        for item in payload["objects"]:
            answer = {"oid": item["oid"], "size": item["size"], "authenticated": True}
            if not self.state.has_object(item["oid"]):
                answer["actions"] = {"upload": {"href": f"{self._endpoint()}/lfs-upload/{item['oid']}",
                                                "expires_at": "2100-01-01T00:00:00Z"}}
            objects.append(answer)
        self._json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                     {"Content-Type": "application/vnd.git-lfs+json"})

    def lfs_upload(self, oid: str):
        state = self.state
        with state.lock:
            state.lfs_requests += 1
            held = state.hold_uploads_after is not None and state.lfs_requests > state.hold_uploads_after
        if state.reject_uploads:
            self._body()
            self._error(400, "upload refused by the test")
            return
        if held:  # a network that stalls: the upload never arrives
            state.release.wait(120)
            self.close_connection = True
            self._error(503, "upload held by the test and dropped")
            return
        content = self._body()
        if hashlib.sha256(content).hexdigest() != oid:
            self._error(400, f"content does not match its oid {oid}")
            return
        state.store(content)
        with state.lock:
            state.lfs_uploads.append(oid)
        self._send(200)

    def commit(self, repo: str, rev: str):
        lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
        found = self._writable(repo)
        if found is None:
            return
        branch = unquote(rev)
        if branch not in found["branches"]:
            self._error(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            return
        parent = found["branches"][branch]
        files = dict(found["commits"][parent]["files"])
        header = lines[0]["value"]
        if header.get("parentCommit") not in (None, parent):
            self._error(412, "A commit has happened since. Please refresh and try again.")
            return
        paths = []
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            path = value["path"]
            if key == "file":
                files[path] = self.state.entry(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                if not self.state.has_object(value["oid"]):
                    self._error(422, f"LFS object {value['oid']} of {path} was not uploaded")
                    return
                size = (self.state.objects / value["oid"]).stat().st_size
                files[path] = {"sha256": value["oid"], "size": size, "lfs": True,
                               "oid": git_blob_oid(lfs_pointer(value["oid"], size))}
            elif key == "deletedFile":
                files.pop(path, None)
            elif key == "deletedFolder":
                for name in [p for p in files if p.startswith(path.rstrip("/") + "/")]:
                    del files[name]
            else:
                self._error(400, f"unknown operation {key}")
                return
            paths.append(path)
        oid = self.state.commit(found, branch, header["summary"], files, parent)
        self.state.commits.append((repo, paths))
        self._json(200, {"success": True, "commitOid": oid,
                         "commitUrl": f"{self._endpoint()}/datasets/{repo}/commit/{oid}", "pullRequestUrl": None})

    def tree(self, repo: str, rev: str, path: str = ""):
        found, sha = self._readable_at(repo, rev)
        if sha is None:
            return
        prefix = path.strip("/")
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("true", "1")
        entries, folders = [], set()
        for name, entry in sorted(found["commits"][sha]["files"].items()):
            if prefix and not name.startswith(prefix + "/"):
                continue
            rest = name[len(prefix) + 1:] if prefix else name
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(([prefix] if prefix else []) + parts[:depth])
                if (recursive or depth == 1) and folder not in folders:
                    folders.add(folder)
                    entries.append({"type": "directory", "oid": hashlib.sha1(folder.encode()).hexdigest(),
                                    "size": 0, "path": folder})
            if recursive or len(parts) == 1:
                item = {"type": "file", "oid": entry["oid"], "size": entry["size"], "path": name}
                if entry["lfs"]:
                    item["lfs"] = {"oid": entry["sha256"], "size": entry["size"],
                                   "pointerSize": len(lfs_pointer(entry["sha256"], entry["size"]))}
                entries.append(item)
        self._json(200, entries)

    def refs(self, repo: str):
        found = self._readable(repo)
        if found is None:
            return

        def refs_of(kind: str, names: dict) -> list:
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": oid} for n, oid in sorted(names.items())]

        self._json(200, {"branches": refs_of("heads", found["branches"]), "converts": [],
                         "tags": refs_of("tags", found["tags"])})

    def create_tag(self, repo: str, rev: str):
        payload = json.loads(self._body())
        found = self._writable(repo)
        if found is None:
            return
        sha = self.state.resolve(found, rev)
        if sha is None:
            self._error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        elif payload["tag"] in found["tags"]:
            self._error(409, f"Tag {payload['tag']} already exists")
        else:
            found["tags"][payload["tag"]] = sha
            self.state.save(found)
            self._json(200, {"name": payload["tag"], "ref": f"refs/tags/{payload['tag']}", "targetCommit": sha})

    def delete_tag(self, repo: str, tag: str):
        self._body()
        found = self._writable(repo)
        if found is None:
            return
        if found["tags"].pop(tag, None) is None:
            self._error(404, f"Invalid rev id: {tag}", "RevisionNotFound")
            return
        self.state.save(found)
        self._json(200, {})

    def create_branch(self, repo: str, branch: str):
        payload = json.loads(self._body() or b"{}")
        found = self._writable(repo)
        if found is None:
            return
        if branch in found["branches"]:
            self._error(409, f"Branch {branch} already exists")
            return
        sha = self.state.resolve(found, payload.get("startingPoint") or "main")
        if sha is None:
            self._error(404, f"Invalid rev id: {payload.get('startingPoint')}", "RevisionNotFound")
            return
        found["branches"][branch] = sha
        self.state.save(found)
        self._json(200, {})

    def resolve(self, repo: str, rev: str, path: str):
        head = self.command == "HEAD"
        found = self.state.repos.get(repo)
        if found is None or not self.state.can_read(self._user(), found):
            self._send(404, b"", {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, head)
            return
        sha = self.state.resolve(found, rev)
        if sha is None:
            self._send(404, b"", {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"}, head)
            return
        entry = found["commits"][sha]["files"].get(path)
        if entry is None:
            self._send(404, b"", {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found",
                                  "X-Repo-Commit": sha}, head)
            return
        content = (self.state.objects / entry["sha256"]).read_bytes()
        headers = {"X-Repo-Commit": sha, "ETag": f'"{entry["oid"]}"', "Content-Type": "application/octet-stream",
                   "Accept-Ranges": "bytes"}
        if entry["lfs"]:
            headers.update({"X-Linked-Etag": f'"{entry["sha256"]}"', "X-Linked-Size": str(entry["size"])})
        status = 200
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if ranged and int(ranged[1]) < len(content):
            end = int(ranged[2]) if ranged[2] else len(content) - 1
            headers["Content-Range"] = f"bytes {ranged[1]}-{end}/{len(content)}"
            content, status = content[int(ranged[1]):end + 1], 206
        self._send(status, content, headers, head)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):  # a client that was killed
            super().handle_error(request, client_address)


class HubServer:
    """``with HubServer(root, tokens) as hub:`` serves on ``hub.endpoint`` (127.0.0.1, a free port) until the block
    ends; ``hub.state`` holds what it received."""

    def __init__(self, root: Path, tokens: dict[str, dict]):
        self.state = HubState(root, tokens)
        handler = type("Handler", (HubHandler,), {"state": self.state})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="test-hub", daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.state.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()
