"""local_file: writes a service makes while serving, named by the place they go."""

from __future__ import annotations

from pathlib import Path

from migrator.inventory import ScanResult
from tests.inventory.test_cross_module import scan_tree


def local_files(result: ScanResult) -> list[tuple[str, str, int]]:
    return sorted(
        (f.symbol, f.path, f.line) for f in result.findings if f.category == "local_file"
    )


def test_path_open_for_writing_in_a_handler_is_found(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            import shutil
            from pathlib import Path
            from flask import Flask, request

            app = Flask(__name__)
            BACKUP_DIR = Path("backups")

            @app.post("/backups")
            def upload():
                dest = BACKUP_DIR / request.files["f"].filename
                with dest.open("wb") as out:
                    shutil.copyfileobj(request.files["f"], out)
            """
        },
    )
    assert local_files(result) == [("BACKUP_DIR", "app.py", 6)]


def test_path_open_for_reading_is_not_a_write(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            from pathlib import Path
            from flask import Flask

            app = Flask(__name__)
            DATA_DIR = Path("data")

            @app.get("/notes")
            def notes():
                with (DATA_DIR / "notes.txt").open("r") as fh:
                    return fh.read()
            """
        },
    )
    assert local_files(result) == []


def test_shutil_copy_into_a_data_folder_is_found(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            import os
            import shutil
            from flask import Flask

            app = Flask(__name__)
            EXPORT_DIR = "exports"

            @app.post("/export/<name>")
            def export(name):
                shutil.copy("report.zip", os.path.join(EXPORT_DIR, name))
            """
        },
    )
    assert local_files(result) == [("EXPORT_DIR", "app.py", 6)]


def test_shutil_copy_into_a_temporary_folder_is_not_state(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            import os
            import shutil
            import tempfile
            from flask import Flask

            app = Flask(__name__)

            @app.post("/convert/<name>")
            def convert(name):
                shutil.copy("in.png", os.path.join(tempfile.gettempdir(), name))
            """
        },
    )
    assert local_files(result) == []


def test_write_helper_on_a_process_lifetime_object_is_named_by_its_attribute(
    tmp_path: Path,
) -> None:
    result = scan_tree(
        tmp_path,
        {
            "store.py": """
            import pickle
            from myapp.util import atomic_write

            class Store:
                def __init__(self, folder):
                    self.cachefile = folder + "/cache.pickle"

                def record(self, data):
                    with atomic_write(self.cachefile, "wb") as fh:
                        pickle.dump(data, fh)
            """,
            "util.py": """
            def atomic_write(path, mode):
                return open(path + ".tmp", mode)
            """,
            "views.py": """
            from flask import Flask
            from myapp.store import Store

            app = Flask(__name__)
            store = Store("data")

            @app.post("/record")
            def record():
                store.record({"x": 1})
            """,
            "__init__.py": "",
        },
    )
    found = local_files(result)
    assert ("Store.cachefile", "store.py", 6) in found


def test_parameter_path_in_a_lifetime_object_is_named_by_its_folder(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            import os
            import yaml
            from flask import Flask

            app = Flask(__name__)

            class ProfileManager:
                def __init__(self):
                    self._folder = "profiles"

                def save(self, name, profile):
                    self._save_to_path(os.path.join(self._folder, name), profile)

                def _save_to_path(self, path, profile):
                    with open(path, "w") as fh:
                        yaml.safe_dump(profile, fh)

            manager = ProfileManager()

            @app.post("/profiles/<name>")
            def save_profile(name):
                manager.save(name, {})
            """
        },
    )
    assert local_files(result) == [("ProfileManager._folder", "app.py", 9)]


def test_write_at_start_up_is_not_state(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            from flask import Flask

            app = Flask(__name__)

            def init_logs(log_folder):
                with open(log_folder + "/submissions.log", "a") as fh:
                    fh.write("started")

            @app.get("/")
            def index():
                return "ok"
            """
        },
    )
    assert local_files(result) == []


def test_write_no_handler_reaches_is_not_state(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            from flask import Flask

            app = Flask(__name__)

            def write_browser_file(data_path):
                with open(data_path, "w") as fh:
                    fh.write("<html></html>")

            @app.get("/")
            def index():
                return "ok"
            """
        },
    )
    assert local_files(result) == []


def test_same_local_name_in_two_modules_is_not_grouped_at_a_third(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "a.py": """
            from flask import Flask

            app = Flask(__name__)

            @app.post("/a")
            def write_a():
                path = "a.json"
                with open(path, "w") as fh:
                    fh.write("{}")
            """,
            "b.py": """
            class Plugin:
                path = "unrelated"
            """,
        },
    )
    assert [(path, line) for _, path, line in local_files(result)] == [("a.py", 8)]


def test_save_of_a_model_is_not_a_file(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            from flask import Flask

            app = Flask(__name__)

            class Contents:
                def get(self, path):
                    return {"path": path}

                def save(self, model, path):
                    return model

            contents = Contents()

            @app.post("/copy/<path>")
            def copy(path):
                contents.save(contents.get(path), path + ".copy")
            """
        },
    )
    assert local_files(result) == []


def test_upload_saved_under_a_setting_or_a_temporary_folder_is_found(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            import os
            import tempfile
            from flask import Flask, request

            app = Flask(__name__)

            @app.post("/load")
            def load():
                if app.config.get("UPLOAD_DIR"):
                    dirname = app.config["UPLOAD_DIR"]
                else:
                    dirname = tempfile.mkdtemp()
                upload = request.files["db"]
                upload.save(os.path.join(dirname, "database.db"))
            """
        },
    )
    assert [symbol for symbol, _, _ in local_files(result)] == ["UPLOAD_DIR"]


def test_read_only_sqlite_is_not_a_store(tmp_path: Path) -> None:
    result = scan_tree(
        tmp_path,
        {
            "app.py": """
            import sqlite3
            from flask import Flask

            app = Flask(__name__)

            @app.get("/search")
            def search():
                con = sqlite3.connect("file:search.db?mode=ro", uri=True)
                return str(con.execute("select 1").fetchall())
            """
        },
    )
    assert local_files(result) == []


def test_a_folder_attribute_of_a_local_object_is_named_by_the_handler(tmp_path: Path) -> None:
    # `recipe.asset_dir` belongs to a record the handler loaded, not to a setting: the
    # handler that writes there is the place to look at.
    result = scan_tree(
        tmp_path,
        {
            "routes.py": """
            from shutil import copyfileobj
            from fastapi import APIRouter

            router = APIRouter()


            @router.post("/recipes/{slug}/assets")
            def upload_recipe_asset(slug: str, file):
                recipe = load(slug)
                dest = recipe.asset_dir / file.filename
                with dest.open("wb") as buffer:
                    copyfileobj(file.file, buffer)


            def load(slug):
                return object()
            """,
        },
    )
    assert local_files(result) == [("upload_recipe_asset", "routes.py", 11)]
