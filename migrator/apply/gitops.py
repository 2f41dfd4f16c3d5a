"""The git side of `apply`: refuse what is unsafe, branch, commit, and undo on failure.

Every phase commit carries a `Migrator-Phase: N` trailer; that is how `apply` knows which
phases are already on the current line of branches. Commits run the repository's own hooks
(no `--no-verify`): a phase must pass the checks every other commit passes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import git

TRAILER = "Migrator-Phase"
# The hooks `git commit` runs that can refuse a commit.
COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg")


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
    """Stage `paths` (relative to the work tree) and commit, running the repository's commit
    hooks; the new commit's hexsha.

    Raises GitRefusal in one line when git will not commit: the hook that refused and what it
    said, else git's own reason (`nothing to commit` included).
    """
    repo = checkout.repo
    try:
        repo.git.add("--", *paths)
    except git.GitCommandError as exc:
        raise GitRefusal(f"git could not stage the phase: {git_reason(exc)}") from None
    try:
        repo.git.commit("-m", message)
    except git.GitCommandError as exc:
        reason = git_reason(exc)
        hooks = commit_hooks(repo)
        if hooks and not _said_by_git(exc):
            names = ", ".join(f"`{h}`" for h in hooks)
            raise GitRefusal(
                f"the repository's {names} hook refused the commit: {reason}"
            ) from None
        raise GitRefusal(f"git could not commit the phase: {reason}") from None
    return repo.head.commit.hexsha


def commit_hooks(repo: git.Repo) -> list[str]:
    """The commit hooks the repository runs (`core.hooksPath` honoured)."""
    folder = Path(repo.git.rev_parse("--git-path", "hooks"))
    if not folder.is_absolute():
        folder = Path(repo.working_tree_dir or ".") / folder
    return [h for h in COMMIT_HOOKS if os.access(folder / h, os.X_OK)]


def git_reason(exc: git.GitCommandError) -> str:
    """The line of a failed git command that says why: git's `fatal:`/`error:`/`nothing to
    commit` line when there is one (the last is on stdout), else the first line it, or a
    hook, printed."""
    lines = _lines(exc.stderr) + _lines(exc.stdout)
    for line in lines:
        if line.startswith(("fatal:", "error:", "nothing to commit", "nothing added")):
            return line
    return lines[0] if lines else f"git exited with status {exc.status}"


def _said_by_git(exc: git.GitCommandError) -> bool:
    """Whether git itself refused (a hook that fails prints what it likes; git says `fatal:`)."""
    return any(line.startswith("fatal:") for line in _lines(exc.stderr))


def _lines(output: str | bytes | None) -> list[str]:
    """The meaningful lines of a GitCommandError's output (GitPython wraps it in `stderr: '...'`)."""
    text = output.decode(errors="replace") if isinstance(output, bytes) else (output or "")
    text = text.strip()
    for wrapper in ("stderr: '", "stdout: '"):
        if text.startswith(wrapper):
            text = text[len(wrapper) :].removesuffix("'")
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(("***", "(use ", "hint:"))
    ]


def abandon(checkout: Checkout, name: str) -> None:
    """Go back to the starting branch and delete `name` (after a failure midway).

    The index is reset first: what was staged for the failed commit must not ride along
    with the user's next one.
    """
    checkout.repo.git.reset("-q")
    checkout.repo.git.checkout(checkout.branch)
    if name in checkout.repo.heads:
        checkout.repo.delete_head(name, force=True)
