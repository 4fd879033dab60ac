"""The timeline: one bar per node from its start to its end as the run's records have them,
coloured by its final state, placed and sized to scale; hovering a bar tells the node's name,
serial number, start, duration and result or error. A run's log (seqrun_<pid>.log), replayed
with ``seqtool gui --replay``, draws the same timeline, and so does the log of a ``seqtool run``."""
import contextlib
import datetime
import re
import subprocess
import sys
import urllib.parse

from gui_support import SCRIPTS
from playwright.sync_api import expect
from test_page import WAIT, command, log_lines, row

from seqkernel.runner import RunLogs
from seqclient import access

NIGHT = SCRIPTS / "night.py"
SEQTOOL = [sys.executable, "-m", "seqtool"]
BAR_CLASSES = {"FINISHED": "finished", "FINISHED|SKIP": "skipped", "FINISHED|ERROR": "failed",
               "CANCELLED": "cancelled", "CANCELLED|ERROR": "cancelled-error"}

# Every bar the timeline shows: sn -> [start, end, class, left and width in px], and the track's width.
BARS = """() => {
  const bars = {};
  for (const bar of document.querySelectorAll("#timeline tbody tr[data-sn] .bar:not([hidden])")) {
    const box = bar.getBoundingClientRect();
    bars[bar.closest("tr").dataset.sn] = [Number(bar.dataset.start), bar.dataset.end === "" ? null : Number(bar.dataset.end),
                                          bar.className, box.left, box.width];
  }
  return bars;
}"""


def expected_bars(events):
    """sn -> (start, end, final state) from the run's state events: a node starts when it first runs,
    ends at its last final state; one skipped starts and ends then; one cancelled unstarted has none."""
    bars = {}
    for event in events:
        if event.get("kind") != "state":
            continue
        main = event["state"].split("|")[0]
        if main in ("RUNNING", "PAUSED"):
            bars.setdefault(event["sn"], [event["ts"], None, event["state"]])
        elif main in ("FINISHED", "CANCELLED") and (event["sn"] in bars or main == "FINISHED"):
            bars.setdefault(event["sn"], [event["ts"], None, None])[1:] = [event["ts"], event["state"]]
    return bars


def timeline_bars(page):
    page.click("[data-view=timeline]")
    expect(page.locator("#timeline .bar:not([hidden])").first).to_be_visible(timeout=WAIT)
    return {int(sn): bar for sn, bar in page.evaluate(BARS).items()}


def run_the_night(page, observer):
    """Run the night's script in the page; the run's records as the observer got them (all of them)."""
    command(page, f"load {NIGHT}")
    command(page, "skip -find_name power_on")
    page.click("[data-command=run]")
    page.locator("#error-dialog").get_by_role("button", name="Discard").click(timeout=WAIT)
    expect(page.locator("#connection-state")).to_have_text("Connected, run stopped on an error", timeout=WAIT)
    observer.run_ended("error")
    return [event for event, _ in observer.events]


def test_the_bars_are_the_runs_records_to_scale_and_tell_about_themselves(open_page, observer, screenshot):
    page = open_page()
    records = run_the_night(page, observer)
    bars = timeline_bars(page)
    shown = {int(sn) for sn in page.locator("#timeline tbody tr[data-sn]").evaluate_all("rows => rows.map(r => r.dataset.sn)")}
    expected = {sn: bar for sn, bar in expected_bars(records).items() if sn in shown}

    assert bars.keys() == expected.keys()
    for sn, (start, end, final) in expected.items():
        assert bars[sn][:3] == [start, end, f"bar {BAR_CLASSES[final]}"], sn
    night = next(event["sn"] for event in records if event.get("kind") == "state" and event["name"] == "night")
    origin, span = expected[night][0], expected[night][1] - expected[night][0]
    left, width = bars[night][3], bars[night][4]
    for sn, (start, end, *_) in expected.items():  # where each bar stands, and how long it is
        assert abs(bars[sn][3] - (left + (start - origin) / span * width)) <= 2, sn
        assert abs(bars[sn][4] - max(2, (end - start) / span * width)) <= 2, sn

    failed = row(page, "check_guiding", view="timeline")
    failed.locator(".bar").hover()
    tip = page.locator("#timeline-tip")
    expect(tip).to_be_visible()
    sn = int(failed.get_attribute("data-sn"))
    start, end, _ = expected[sn]
    at = datetime.datetime.fromtimestamp(start)
    expect(tip.locator(".what")).to_have_text(f"check_guiding ({sn})")
    expect(tip.locator(".start")).to_have_text(f"start {at:%H:%M:%S}.{at.microsecond // 1000:03d}")
    duration = float(re.fullmatch(r"duration (\d+) ms", tip.locator(".duration").inner_text()).group(1))
    assert abs(duration - (end - start) * 1000) <= 1
    expect(tip.locator(".result")).to_have_text("Finished: Error")
    expect(tip.locator(".exception")).to_have_text("RuntimeError: no guide star")
    screenshot(page, "gui-timeline")
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()

    fitted = tick_step(page)
    page.click("[data-zoom=in]")  # around the middle of the run: the start leaves the view
    expect(page.locator("#timeline .tick").first).not_to_have_text("0 s")
    assert tick_step(page) < fitted  # finer ticks
    page.locator("#timeline-pane").focus()
    page.keyboard.press("0")  # fit the whole run again
    expect(page.locator("#timeline .tick").first).to_have_text("0 s")
    assert tick_step(page) == fitted


def tick_step(page):
    """The time between two ticks of the timeline's axis, in seconds."""
    first, second = (re.fullmatch(r"([\d.]+) (ms|s)", text).groups()
                     for text in page.locator("#timeline .tick:not([hidden])").all_inner_texts()[:2])
    seconds = [float(value) / (1000 if unit == "ms" else 1) for value, unit in (first, second)]
    return round(seconds[1] - seconds[0], 6)


@contextlib.contextmanager
def replaying(log):
    """``seqtool gui --replay log``: yields the address of its page, signed in."""
    shown = subprocess.Popen([*SEQTOOL, "gui", "--replay", str(log), "--no-browser"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        for line in shown.stdout:
            if match := re.match(r"Sequencer GUI: (\S+)", line):
                yield f"{match.group(1)}#token={urllib.parse.quote(access.user_token(), safe='')}"
                break
        else:
            raise AssertionError(f"seqtool gui --replay did not start: {shown.stderr.read()}")
    finally:
        shown.terminate()
        assert shown.wait(timeout=30) == 0


def test_a_replayed_run_log_draws_the_same_timeline(open_page, observer, tmp_path):
    live = open_page()
    records = run_the_night(live, observer)
    logs = RunLogs(tmp_path)  # the log seqtool run would have written of this run
    for event in records:
        logs.write(event)
    logs.close()
    [log] = tmp_path.glob("seqrun_*.log")

    with replaying(log) as address:
        replayed = open_page(url=address, ready=f"Replay of {log.name}, run stopped on an error")
        expect(replayed.locator("[data-view=timeline]")).to_have_attribute("aria-selected", "true")
        bars, live_bars = timeline_bars(replayed), timeline_bars(live)
        assert bars.keys() == live_bars.keys()
        for sn, (start, end, kind, *_) in live_bars.items():  # the log keeps times to the millisecond
            assert abs(bars[sn][0] - start) < 0.001 and abs(bars[sn][1] - end) < 0.001 and bars[sn][2] == kind, sn
        command_line = replayed.locator("#command-line")
        expect(command_line).to_be_disabled()  # a recorded run takes no command


def test_the_log_of_seqtool_run_is_shown_the_next_morning(open_page, tmp_path, screenshot):
    ran = subprocess.run([*SEQTOOL, "run", str(NIGHT)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1, ran.stderr  # the check fails
    [log] = tmp_path.glob("seqrun_*.log")
    records = log.read_text()

    with replaying(log) as address:
        page = open_page(url=address, ready=f"Replay of {log.name}, run stopped on an error")
        expect(row(page, "check_guiding", view="timeline").locator(".bar")).to_have_class("bar failed")
        expect(row(page, "log_weather", view="timeline").locator(".bar")).to_have_class("bar cancelled")
        sn = int(row(page, "cool_detector", view="timeline").get_attribute("data-sn"))
        ran_for = [line for line in records.splitlines() if f"STATE ({sn}) cool_detector" in line]
        assert [line.rsplit(" ", 1)[1] for line in ran_for] == ["SCHEDULED", "RUNNING", "FINISHED"]
        row(page, "cool_detector", view="timeline").locator(".bar").hover()
        expect(page.locator("#timeline-tip .what")).to_have_text(f"cool_detector ({sn})")
        page.locator("#logs-scroll").hover()
        page.mouse.wheel(0, -10_000)  # to the first log lines
        expect(log_lines(page, "Starting Task: cool_detector")).to_have_count(1)
        screenshot(page, "gui-replay")


def test_replay_refuses_what_it_cannot_show(tmp_path):
    not_a_log = tmp_path / "notes.txt"
    not_a_log.write_text("2026-12-07 18:07:58,252 INFO seq.user: Starting Task: a\n")
    for arguments, said in [
        ([str(tmp_path / "missing.log")], "cannot read"),
        ([str(not_a_log)], "cannot be shown: it lists no tree of nodes"),
        ([str(not_a_log), "seq.samples.a"], "runs nothing: leave out the scripts"),
    ]:
        refused = subprocess.run([*SEQTOOL, "gui", "--no-browser", "--replay", *arguments], capture_output=True,
                                 text=True, timeout=60)
        assert refused.returncode == 1 and said in refused.stderr, refused.stderr
