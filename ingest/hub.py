"""Fetching a tagger's `selected_tags.csv` from the Hugging Face Hub through the normal hub cache.

Offline mode (`HF_HUB_OFFLINE=1`) reads the cache only. `huggingface_hub` is imported inside the
function: most ingests never touch the Hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ingest.specs import TAGGER_FILE_NAME
from kb.errors import IngestError


class HubFile(NamedTuple):
    path: Path  # the cached file
    location: str  # hub:REPO@COMMIT/selected_tags.csv


def fetch_tagger_file(repo: str, revision: str | None) -> HubFile:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    wanted = f"hub:{repo}@{revision or 'main'}"
    how_to_fix = (
        f"download it once with network access (`huggingface-cli download {repo} {TAGGER_FILE_NAME}`"
        f"{' --revision ' + revision if revision else ''}) or pass a local file: `aidxl ingest --tagger PATH`"
    )
    try:
        downloaded = Path(hf_hub_download(repo_id=repo, filename=TAGGER_FILE_NAME, revision=revision))
    except LocalEntryNotFoundError:
        raise IngestError(
            f"{wanted}: {TAGGER_FILE_NAME} is not in the Hugging Face cache and the Hub cannot be reached "
            f"(offline); {how_to_fix}"
        ) from None
    except RevisionNotFoundError:
        raise IngestError(f"{wanted}: no such revision on the Hub") from None
    except RepositoryNotFoundError:
        raise IngestError(f"{wanted}: no such repository on the Hub (or it is private)") from None
    except EntryNotFoundError:
        raise IngestError(f"{wanted}: the repository has no {TAGGER_FILE_NAME}") from None
    except OSError as error:
        raise IngestError(f"{wanted}: cannot fetch {TAGGER_FILE_NAME} ({error}); {how_to_fix}") from None
    # The cache keeps files under snapshots/<commit>/: name the exact commit that was read.
    commit = downloaded.parent.name
    return HubFile(downloaded, f"hub:{repo}@{commit}/{TAGGER_FILE_NAME}")
