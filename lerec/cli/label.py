"""``lerec label ROOT --episodes 3,5 --success false --tags dropped --notes "..."``: set episode labels in place
(atomic, under the dataset's lock); without a field to set, list the labels."""

from __future__ import annotations

from typing import Any

from lerec.dataset.store.labels import UNCHANGED, label_episodes, read_labels
from lerec.errors import SettingsError

SUCCESS_VALUES = {"true": True, "false": False, "unset": None}


def episode_list(text: str, flag: str = "--episodes") -> list[int] | None:
    """``3,5``, ``2-4``, or ``all`` (None) as episode indices; a SettingsError naming ``flag`` otherwise."""
    if text.strip().lower() == "all":
        return None
    episodes: list[int] = []
    try:
        for part in filter(None, text.replace(" ", "").split(",")):
            first, dash, last = part.partition("-")
            span = range(int(first), int(last) + 1) if dash else [int(part)]
            if dash and not span:
                raise ValueError
            episodes.extend(e for e in span if e not in episodes)
    except ValueError:
        raise SettingsError(f"{flag} {text!r}: expected episode indices like 3,5 or 2-4, or all") from None
    if not episodes:
        raise SettingsError(f"{flag} {text!r}: expected episode indices like 3,5 or 2-4, or all")
    return episodes


def success_value(text: str, flag: str = "--success") -> bool | None:
    """``true``/``false``/``unset`` as a label's success; a SettingsError naming ``flag`` otherwise."""
    try:
        return SUCCESS_VALUES[text.strip().lower()]
    except KeyError:
        raise SettingsError(f"{flag} {text!r}: expected true, false or unset") from None


def tag_list(text: str) -> list[str]:
    """``dropped,blurry`` as tags ("" clears them)."""
    return [tag for tag in text.split(",") if tag.strip()] if text.strip() else []


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "label", help="label episodes: success, tags, notes",
        description="Set episodes' labels, stored as the success, tags and notes columns of meta/episodes (LeRobot "
        "still loads the dataset). The dataset is changed in place, atomically and under its lock (not while a "
        "session records into it). Without --success/--tags/--notes, print the labels.")
    p.add_argument("root", help="dataset folder")
    p.add_argument("--episodes", default=None, help="episode indices: 3,5 or 2-4 or all (default when listing: all)")
    p.add_argument("--success", default=None, metavar="true|false|unset", help="whether the episode succeeded")
    p.add_argument("--tags", default=None, metavar="TAG[,TAG...]",
                   help="the episode's tags, replacing those it has ('' removes them)")
    p.add_argument("--notes", default=None, metavar="TEXT", help="free text ('' removes it)")
    p.set_defaults(func=run)


def run(args) -> int:
    fields: dict[str, Any] = {}
    if args.success is not None:
        fields["success"] = success_value(args.success)
    if args.tags is not None:
        fields["tags"] = tag_list(args.tags)
    if args.notes is not None:
        fields["notes"] = args.notes
    episodes = episode_list(args.episodes) if args.episodes is not None else None
    if not fields:
        labels = read_labels(args.root)
        for e in episodes if episodes is not None else sorted(labels):
            if e not in labels:
                raise SettingsError(f"--episodes: episode {e} does not exist (the dataset has {len(labels)})")
            print(f"episode {e}: {labels[e].describe()}")
        return 0
    if args.episodes is None:
        raise SettingsError("--episodes is required to set a label (e.g. --episodes 3,5 or --episodes all)")
    if episodes is None:
        episodes = sorted(read_labels(args.root))
    label_episodes(args.root, episodes, **{k: fields.get(k, UNCHANGED) for k in ("success", "tags", "notes")})
    labels = read_labels(args.root)
    for e in episodes:
        print(f"episode {e}: {labels[e].describe()}")
    return 0
