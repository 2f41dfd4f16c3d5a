"""ManualMarkerCodemod: one marker comment above each site a person must migrate."""

# ruff: noqa: E501 -- the expected target code is quoted as the codemod writes it.

from libcst.codemod import CodemodTest
from migrator.codemods.manual_marker import ManualMarkerCodemod, MarkerSite

UPLOADS = MarkerSite(3, "move the upload folder to blob storage", "local_file")
WORKER = MarkerSite(9, "move the job queue to a broker", "queue_background")


class ManualMarkerTest(CodemodTest):
    TRANSFORM = ManualMarkerCodemod

    def test_no_sites_change_nothing(self) -> None:
        source = """
            import queue

            JOBS = queue.Queue()
        """
        self.assertCodemod(source, source, sites=[], expected_warnings=[])

    def test_markers_keep_indentation_and_a_second_run_adds_none(self) -> None:
        before = """
            from pathlib import Path

            UPLOAD_DIR = Path("uploads")


            class Worker:
                def __init__(self):
                    # Jobs wait here.
                    self.jobs = queue.Queue()
        """
        after = """
            from pathlib import Path

            # TODO(stateless): move the upload folder to blob storage — see `migrator playbook local_file`
            UPLOAD_DIR = Path("uploads")


            class Worker:
                def __init__(self):
                    # Jobs wait here.
                    # TODO(stateless): move the job queue to a broker — see `migrator playbook queue_background`
                    self.jobs = queue.Queue()
        """
        sites = [UPLOADS, WORKER, UPLOADS]
        self.assertCodemod(before, after, sites=sites, expected_warnings=[])
        # A scan of the marked file finds the sites lower down: no duplicate there.
        moved = [
            MarkerSite(4, UPLOADS.what, UPLOADS.category),
            MarkerSite(11, WORKER.what, WORKER.category),
        ]
        self.assertCodemod(after, after, sites=moved, expected_warnings=[])

    def test_sites_are_the_lines_of_the_file_as_it_is_now(self) -> None:
        # An earlier phase added two import lines: the scan reports `JOBS` at line 5, where
        # the plan said 3. The marker goes above the statement at line 5.
        before = """
            from shop._stateless import kv

            import queue

            JOBS = queue.Queue()
        """
        after = """
            from shop._stateless import kv

            import queue

            # TODO(stateless): move the job queue to a broker — see `migrator playbook queue_background`
            JOBS = queue.Queue()
        """
        site = MarkerSite(5, "move the job queue to a broker", "queue_background")
        self.assertCodemod(before, after, sites=[site], expected_warnings=[])

    def test_ascii_only_marker_for_a_file_whose_encoding_has_no_dash(self) -> None:
        before = """
            JOBS = queue.Queue()
        """
        after = """
            # TODO(stateless): move the job queue to a broker - see `migrator playbook queue_background`
            JOBS = queue.Queue()
        """
        site = MarkerSite(1, "move the job queue to a broker", "queue_background")
        self.assertCodemod(before, after, sites=[site], ascii_only=True, expected_warnings=[])

    def test_decorated_function_and_multi_line_statement(self) -> None:
        before = """
            @app.route("/upload")
            def upload():
                return save(
                    request.files["f"],
                )
        """
        after = """
            # TODO(stateless): keep uploads off the local disk — see `migrator playbook local_file`
            @app.route("/upload")
            def upload():
                # TODO(stateless): save through the blob store — see `migrator playbook local_file`
                return save(
                    request.files["f"],
                )
        """
        sites = [
            MarkerSite(2, "keep uploads off the local disk", "local_file"),
            MarkerSite(5, "save through the blob store", "local_file"),
        ]
        self.assertCodemod(before, after, sites=sites, expected_warnings=[])
        moved = [MarkerSite(3, sites[0].what, "local_file"), MarkerSite(7, sites[1].what, "local_file")]
        self.assertCodemod(after, after, sites=moved, expected_warnings=[])

    def test_line_without_a_statement_is_reported(self) -> None:
        source = """
            X = 1
        """
        self.assertCodemod(
            source,
            source,
            sites=[MarkerSite(40, "look", "other")],
            expected_warnings=["line 40: no statement there to mark for other."],
        )
