"""The git side of `apply`: refuse what is unsafe, branch, commit, and undo on failure.

Every phase commit carries a `Migrator-Phase: N` trailer; that is how `apply` knows which
phases are already on the current line of branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import git

TRAILER = "Migrator-Phase"


class GitRefusal(ValueError):
    """`apply` will not run here; the message is one line a user can act on."""


@dataclass(frozen=True)
class Checkout:
    """The repository, where the target sits inside it, and the branch `apply` started from."""

    repo: git.Repo
    target: str  # the target's folder relative to the work tree ('' at its top)
    branch: str


def open_checkout(root: Path, plan_dir: Path) -> Checkout:
    """The repository holding `root`, checked: not detached, clean but for the plan folder."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitRefusal(
            f"{root} is not inside a git repository; `apply` works on a branch"
        ) from None
    if repo.bare or repo.working_tree_dir is None:
        raise GitRefusal(f"{root} is a bare repository; `apply` needs a working tree")
    work = Path(repo.working_tree_dir).resolve()
    if repo.head.is_detached:
        raise GitRefusal("HEAD is detached; check out a branch first (`git switch <branch>`)")
    if not repo.head.is_valid():
        raise GitRefusal("the repository has no commits yet; commit the service first")
    plan_rel = _relative(plan_dir.resolve(), work)
    dirty = [
        line[3:]
        for line in repo.git.status("--porcelain", "--untracked-files=all").splitlines()
        if not _inside(line[3:].strip('"'), plan_rel)
    ]
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise GitRefusal(
            f"the working tree has uncommitted changes ({shown}); commit or stash them first"
        )
    return Checkout(repo, _relative(root.resolve(), work), repo.active_branch.name)


def _relative(path: Path, work: Path) -> str:
    try:
        rel = path.relative_to(work).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel


def _inside(path: str, folder: str) -> bool:
    return bool(folder) and (path == folder or path.startswith(folder.rstrip("/") + "/"))


def applied_phases(checkout: Checkout) -> set[int]:
    """Phase numbers whose commits are in the history of HEAD."""
    log = checkout.repo.git.log("--format=%B", f"--grep=^{TRAILER}: ")
    return {int(n) for n in re.findall(rf"^{TRAILER}: (\d+)$", log, flags=re.MULTILINE)}


def branch_name(number: int, slug: str) -> str:
    return f"stateless/phase-{number}-{slug}"


def start_branch(checkout: Checkout, name: str) -> None:
    """Create `name` from HEAD and switch to it; refuses when it exists already."""
    if name in checkout.repo.heads:
        raise GitRefusal(
            f"branch {name} exists already; delete it or check it out to continue that phase"
        )
    checkout.repo.create_head(name).checkout()


def commit(checkout: Checkout, paths: list[str], message: str) -> str:
    """Stage `paths` (relative to the work tree) and commit; the new commit's hexsha.

    Raises GitRefusal with git's own reason in one line when git will not commit.
    """
    try:
        checkout.repo.git.add("--", *paths)
        checkout.repo.git.commit("-m", message, "--no-verify")
    except git.GitCommandError as exc:
        raise GitRefusal(f"git could not commit the phase: {_first_line(exc.stderr)}") from None
    return checkout.repo.head.commit.hexsha


def _first_line(stderr: str | bytes | None) -> str:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else (stderr or "")
    lines = [
        line.strip().removeprefix("stderr:").strip(" '")
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(("***", "Run", "git config"))
    ]
    return lines[0] if lines else "unknown error"


def abandon(checkout: Checkout, name: str) -> None:
    """Go back to the starting branch and delete `name` (after a failure midway).

    The index is reset first: what was staged for the failed commit must not ride along
    with the user's next one.
    """
    checkout.repo.git.reset("-q")
    checkout.repo.git.checkout(checkout.branch)
    if name in checkout.repo.heads:
        checkout.repo.delete_head(name, force=True)
