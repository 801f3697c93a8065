"""Fetching a source file from the Hugging Face Hub through the normal hub cache: a tagger's
`selected_tags.csv`, the model's `references/artist.csv`, or any file a `hub:OWNER/NAME:FILE` names.

Offline mode (`HF_HUB_OFFLINE=1`) reads the cache only, and so does a Hub that cannot be reached:
one short connection attempt first (ingest.fetch.Network), never huggingface_hub's retry storm of
"Retrying in 8s" lines. `huggingface_hub` is imported inside the function: most ingests never touch
the Hub.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import NamedTuple

from ingest.fetch import Network, hub_endpoint
from kb.errors import IngestError


class HubFile(NamedTuple):
    path: Path  # the cached file
    location: str  # hub:REPO@COMMIT/FILE


def fetch_hub_file(repo: str, file_name: str, revision: str | None, kind: str) -> HubFile:
    """The cached copy of `file_name` in `repo` at `revision`; `kind` names the flag in the hints."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    wanted = f"hub:{repo}@{revision or 'main'}"
    download = f"hf download {repo} {file_name}" + (f" --revision {revision}" if revision else "")
    how_to_fix = (
        f"download it once with network access (`{download}`) "
        f"or pass a local file: `aidxl ingest --{kind} PATH`"
    )
    network = Network.from_environment()
    offline = not network.reachable(hub_endpoint())
    try:
        downloaded = Path(
            hf_hub_download(repo_id=repo, filename=file_name, revision=revision, local_files_only=offline)
        )
    except LocalEntryNotFoundError:
        reason = network.offline_reason or "the Hub cannot be reached"
        raise IngestError(
            f"{wanted}: {file_name} is not in the Hugging Face cache and {reason} (offline); {how_to_fix}"
        ) from None
    except RevisionNotFoundError:
        raise IngestError(f"{wanted}: no such revision on the Hub") from None
    except RepositoryNotFoundError:
        raise IngestError(f"{wanted}: no such repository on the Hub (or it is private)") from None
    except EntryNotFoundError:
        raise IngestError(f"{wanted}: the repository has no {file_name}") from None
    except OSError as error:
        raise IngestError(f"{wanted}: cannot fetch {file_name} ({error}); {how_to_fix}") from None
    # The cache keeps files under snapshots/<commit>/<file>: name the exact commit that was read.
    commit = downloaded.parents[len(PurePosixPath(file_name).parts) - 1].name
    return HubFile(downloaded, f"hub:{repo}@{commit}/{file_name}")


