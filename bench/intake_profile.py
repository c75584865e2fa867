"""Where the CPU of one filing goes: the real pages, in-process (WebTest), cProfile'd.

    .venv/bin/python bench/intake_profile.py            # figures + the top functions
    .venv/bin/python bench/intake_profile.py --top 40   # more of the profile
    .venv/bin/python bench/intake_profile.py --no-profile

A FileStorage with blobs in a temporary folder and the app as ``bench/peak.py`` runs it
(``cgs.testing``, the 國小 units of the peak). Each step is measured in CPU seconds of this
process (``time.process_time``: immune to other load on the machine), best of ``--repeat``
rounds, each round a fresh unit: a login through the captcha (with the production argon2
parameters and, apart, with the tests' cheapest ones), 當期填報, the upload of a small
workbook (the peak's valid kind) and of a 5,000-row one (2,500 cases + 2,500 services),
the confirmation of warnings when asked, the summary page. Then one cProfile of each
flow (``--top`` functions by cumulative and by own time). Prints ``name value unit`` lines.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import peak  # noqa: E402
import webtest  # noqa: E402

from support import add_account, add_unit, open_root  # noqa: E402

TAIPEI = dt.timezone(dt.timedelta(hours=8))


def emit(name, value, unit):
    peak.emit(name, value, unit)


def make_app(tmp: Path):
    import peak_app

    uri = f"file://{tmp}/Data.fs?blobstorage_dir={tmp}/blobs&blobstorage_layout=bushy"
    return peak_app.main({}, **peak.app_settings(uri, tmp))


def add_units(app, codes, cheap: bool):
    """One 國小 unit and account per code; argon2 production parameters unless ``cheap``."""
    from cgs_portal.accounts import passwords

    saved = passwords._hasher
    if cheap:
        passwords._hasher = passwords.PasswordHasher.from_parameters(passwords.CHEAPEST_PARAMETERS)
    try:
        with open_root(app) as root:
            for code, county in codes:
                add_unit(root, code, f"壓測國小{code}", "國小", county)
                account = add_account(root, f"{code}_p001", unit_code=code, personal_id="p001",
                                      name="壓測老師", email=f"p{code}@example.invalid")
                account.password_changed_at = dt.datetime(2024, 10, 1, tzinfo=TAIPEI)
    finally:
        passwords._hasher = saved


class Flow:
    """The pages of one unit's filing, each step timed in CPU seconds."""

    def __init__(self, app, code, county):
        self.browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.7"})
        self.code, self.county = code, county
        self.unit_path = f"/counties/{county}/{code}/"
        self.times: dict[str, float] = {}

    def timed(self, name, fn):
        start = time.process_time()
        out = fn()
        self.times[name] = self.times.get(name, 0.0) + time.process_time() - start
        return out

    def login(self):
        b = self.browser
        page = self.timed("login_page", lambda: b.get("/login"))
        self.timed("captcha_image", lambda: b.get("/captcha.png"))
        code = b.get("/test-captcha-code").json["code"]
        form = page.forms["login-form"]
        form["login"], form["password"], form["captcha"] = f"{self.code}_p001", peak.PASSWORD, code
        landed = self.timed("login_post", lambda: form.submit("submit").maybe_follow())
        assert "登出" in landed.text, landed.text[:500]

    def file(self, data):
        b = self.browser
        page = self.timed("month_page", lambda: b.get(self.unit_path + "current"))
        form = page.forms["upload-form"]
        import webtest as wt

        form["workbook"] = wt.Upload("填報.xlsx", data)
        page = self.timed("upload", lambda: form.submit().maybe_follow())
        if "confirm-form" in page.forms:
            page = self.timed("confirm", lambda: page.forms["confirm-form"].submit().maybe_follow())
        assert "已完成填報" in page.text, page.text[-1500:]
        self.timed("summary", lambda: b.get(self.unit_path + f"113/{peak.MONTH}"))


def workbooks(codes):
    """A small valid workbook per unit (the peak's sizes) and a 5,000-row one."""
    corpus = peak.load_corpus()
    small = {code: peak.workbook(corpus, code, cases=12, services=6, seed=i)
             for i, (code, _c) in enumerate(codes)}
    big = {code: peak.workbook(corpus, code, cases=2500, services=2500, seed=100 + i)
           for i, (code, _c) in enumerate(codes)}
    return small, big


def profile_text(profiler, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return "\n".join("# " + line for line in out.getvalue().splitlines() if line.strip())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    n = args.repeat
    codes = peak.unit_codes(4 * n + 4)
    small, big = workbooks(codes)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        prod, cheap = codes[: 2 * n + 2], codes[2 * n + 2:]
        add_units(app, prod, cheap=False)
        add_units(app, cheap, cheap=True)
        Flow(app, *cheap[-1]).login()  # warm templates and imports
        results: dict[str, list[float]] = {}

        def record(prefix, flow):
            for step, seconds in flow.times.items():
                results.setdefault(f"{prefix}_{step}", []).append(seconds)
            results.setdefault(f"{prefix}_total", []).append(sum(flow.times.values()))

        for i in range(n):
            flow = Flow(app, *prod[i])
            flow.login()
            record("login_argon2_default", flow)
            flow = Flow(app, *cheap[i])
            flow.login()
            record("login_argon2_cheapest", flow)
            flow.times.clear()
            flow.file(small[cheap[i][0]])
            record("filing_small", flow)
            flow = Flow(app, *cheap[n + i])
            flow.login()
            flow.times.clear()
            flow.file(big[cheap[n + i][0]])
            record("filing_5000", flow)
        for name, values in results.items():
            emit(f"cpu_{name}", min(values), "CPU s")
        from cgs_portal.accounts import passwords

        emit("argon2_parameters", f"t={passwords._hasher.time_cost},m={passwords._hasher.memory_cost}KiB,"
             f"p={passwords._hasher.parallelism}", "(production hasher)")
        emit("workbook_small_bytes", len(small[cheap[0][0]]), "B")
        emit("workbook_5000_bytes", len(big[cheap[0][0]]), "B")
        if not args.no_profile:
            for label, code, data in (("login (argon2 default)", prod[n], None),
                                      ("small filing", prod[n + 1], small[prod[n + 1][0]]),
                                      ("5,000-row filing", codes[-1], big[codes[-1][0]])):
                flow = Flow(app, *code)
                if data is not None:
                    flow.login()
                profiler = cProfile.Profile()
                profiler.enable()
                flow.file(data) if data is not None else flow.login()
                profiler.disable()
                print(f"# ---- profile: {label}")
                print(profile_text(profiler, args.top))
        for db in app.registry._zodb_databases.values():
            db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
