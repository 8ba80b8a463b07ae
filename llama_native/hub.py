"""``Llama.from_pretrained``: a GGUF from a Hugging Face repository, through ``huggingface_hub``.

As llama-cpp-python's: ``filename`` may be a glob (``"*Q4_K_M.gguf"``) that
must match exactly one file of the repository; ``additional_files`` (globs
too) are fetched beside it (the other parts of a split model);
``local_dir`` puts the files there instead of the hub cache, and
``cache_dir`` names another hub cache.  Downloads, resumes, the cache and
authentication are ``huggingface_hub``'s (``pip install 'llama-native[hub]'``).
With ``HF_HUB_OFFLINE=1`` the files are listed from the cached snapshot, so a
model downloaded once loads without a network.

Example::

    >>> from llama_native.hub import match_one
    >>> match_one(["a/x.Q4_K_M.gguf", "a/x.Q8_0.gguf", "README.md"], "*Q8_0.gguf", "org/x")
    'a/x.Q8_0.gguf'
"""

from __future__ import annotations

import fnmatch
import os
import sys
from pathlib import Path
from typing import Any


def _hub() -> Any:
    try:
        import huggingface_hub
        import huggingface_hub.constants
        import huggingface_hub.errors
        import huggingface_hub.utils
    except ImportError:
        raise ImportError("Llama.from_pretrained needs huggingface_hub: pip install 'llama-native[hub]'") from None
    return huggingface_hub


def match_one(files: list[str], pattern: str, repo_id: str) -> str:
    """The one file of ``files`` that ``pattern`` (a glob) matches; ``ValueError`` for none or several."""
    matching = [f for f in files if fnmatch.fnmatch(f, pattern)]
    if not matching:
        shown = ", ".join(sorted(f for f in files if f.endswith(".gguf"))[:20]) or "none"
        raise ValueError(f"no file of {repo_id} matches {pattern!r}; its GGUF files: {shown}")
    if len(matching) > 1:
        raise ValueError(
            f"{pattern!r} matches several files of {repo_id}: {', '.join(sorted(matching))}; be more precise"
        )
    return matching[0]


def _offline(hub: Any) -> bool:
    return bool(hub.constants.HF_HUB_OFFLINE)


def repo_files(repo_id: str, revision: str | None, cache_dir: str | os.PathLike | None) -> list[str]:
    """The repository's file names: from the Hub, or from the cached snapshot when offline."""
    hub = _hub()
    hub.utils.validate_repo_id(repo_id)  # HFValidationError (a ValueError) for a malformed id
    if _offline(hub):
        try:
            folder = hub.snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, local_files_only=True)
        except hub.errors.LocalEntryNotFoundError:
            raise ValueError(
                f"{repo_id} is not in the Hugging Face cache and HF_HUB_OFFLINE is set; "
                "download it once with a network (or unset HF_HUB_OFFLINE)"
            ) from None
        root = Path(folder)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    try:
        return list(hub.HfApi().list_repo_files(repo_id, revision=revision))
    except hub.errors.RepositoryNotFoundError:
        raise ValueError(
            f"no repository {repo_id!r} on the Hub (or it is private: log in with `hf auth login` or set HF_TOKEN)"
        ) from None
    except hub.errors.RevisionNotFoundError:
        raise ValueError(f"{repo_id} has no revision {revision!r}") from None


def download(
    repo_id: str,
    filename: str,
    additional_files: list[str] | None = None,
    local_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    revision: str | None = None,
) -> str:
    """The local path of the file ``filename`` matches (fetched with ``additional_files`` when not cached)."""
    hub = _hub()
    files = repo_files(repo_id, revision, cache_dir)
    wanted = [match_one(files, filename, repo_id)]
    wanted += [match_one(files, pattern, repo_id) for pattern in additional_files or []]
    paths = []
    interactive = sys.stderr.isatty()
    for name in wanted:
        try:
            if interactive:  # huggingface_hub's own bar
                path = hub.hf_hub_download(
                    repo_id=repo_id, filename=name, revision=revision, local_dir=local_dir, cache_dir=cache_dir
                )
            else:  # a log: one plain line before and after, none of the bar's carriage returns
                was_off = hub.utils.are_progress_bars_disabled()
                hub.utils.disable_progress_bars()
                try:
                    print(f"fetching {repo_id}/{name}", file=sys.stderr, flush=True)
                    path = hub.hf_hub_download(
                        repo_id=repo_id, filename=name, revision=revision, local_dir=local_dir, cache_dir=cache_dir
                    )
                    print(f"fetched {repo_id}/{name}: {os.path.getsize(path) / 1e6:.1f} MB", file=sys.stderr,
                          flush=True)  # fmt: skip
                finally:
                    if not was_off:
                        hub.utils.enable_progress_bars()
            paths.append(path)
        except hub.errors.EntryNotFoundError:
            raise ValueError(f"{repo_id} lists {name!r} but the Hub has no such file") from None
    return str(paths[0])


__all__ = ["download", "match_one", "repo_files"]
