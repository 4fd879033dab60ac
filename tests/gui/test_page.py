"""The Sequencer GUI in headless Chromium against a real server, shell and kernel.

Each test does what an operator does in the page (manual chapter 4) and checks
what the operator would see: rows, states, log lines, dialogs.
"""
import os
import re
import threading

from gui_support import REPO_ROOT, SCRIPTS, ServerProcess
from playwright.sync_api import expect

SAMPLE_OB = REPO_ROOT / "samples" / "obex.json"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
WAIT = 15000  # ms: upper bound for anything to show up


def rows_named(page, name, view="tree"):
    """The rows of the nodes called ``name`` that the tree (or the timeline) shows."""
    label = page.locator(".label", has_text=re.compile(f"^{re.escape(name)}$"))
    return page.locator(f"#{view} tbody tr", has=label)


def row(page, name, nth=0, view="tree"):
    """The row of the nth node called ``name`` among those shown."""
    return rows_named(page, name, view).nth(nth)


def state(page, name, nth=0):
    return row(page, name, nth).locator("td.state")


def log_lines(page, text):
    return page.locator("#logs tbody tr", has=page.locator("td.message", has_text=text))


def command(page, line):
    """Type a command in the toolbar's input line and wait for its reply."""
    page.fill("#command-line", line)
    page.press("#command-line", "Enter")
    expect(page.locator("#last-reply")).to_have_text(re.compile(f"^{re.escape(line)}:"), timeout=WAIT)
    expect(page.locator("#last-reply")).to_have_class("ok")


def append_sample_ob(page):
    page.set_input_files("#ob-file", str(SAMPLE_OB))
    expect(row(page, "My humble II OB(A)")).to_be_visible(timeout=WAIT)
    expect(row(page, "Tpl.do_sum", 1)).to_be_visible()


def node_menu(page, name, nth, item):
    """Right-click a node and choose ``item`` in its context menu."""
    row(page, name, nth).click(button="right")
    menu = page.locator("#node-menu")
    expect(menu).to_be_visible()
    menu.get_by_role("menuitem", name=item, exact=True).click()
    expect(menu).to_be_hidden()


def test_append_ob_run_and_watch_states_and_logs(open_page, screenshot):
    page = open_page()
    append_sample_ob(page)
    expect(row(page, "Tpl.do_sum")).to_contain_text("Adds two integers")
    expect(state(page, "Tpl.do_sum", 1)).to_have_text("Not Started")
    assert row(page, "TPL_SUM Example").locator(".icon-S").count() == 1

    page.click("[data-command=run]")
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Running", timeout=WAIT)
    expect(row(page, "Tpl.do_sum", 0)).to_have_class(re.compile(r"\brunning\b"))
    expect(state(page, "Tpl.do_sum", 1)).to_have_text("Running", timeout=WAIT)
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Finished")
    expect(row(page, "Tpl.do_sum", 0)).not_to_have_class(re.compile(r"\brunning\b"))
    screenshot(page, "gui-tree")
    expect(state(page, "My humble II OB(A)")).to_have_text("Finished", timeout=WAIT)

    first_sum = log_lines(page, "xSUM 0 + 77 = 77")
    expect(first_sum).to_have_count(1)
    expect(log_lines(page, "xSUM 0 + 10 = 10")).to_have_count(1)
    expect(first_sum.locator("td.level")).to_have_text("INFO")
    expect(first_sum.locator("td.logger")).to_have_text("seq.samples.tpa")
    expect(first_sum.locator("td.ts")).to_have_text(TIMESTAMP)

    page.click("#logs-filter summary")
    page.uncheck("#logs-filter input[value=Sequence]")
    expect(first_sum).to_be_hidden()
    page.check("#logs-filter input[value=Sequence]")
    expect(first_sum).to_be_visible()


def test_tree_expands_collapses_and_follows_the_keyboard(open_page):
    page = open_page()
    append_sample_ob(page)
    template = row(page, "Template", 0)
    template.locator(".toggle").click()
    expect(template).to_have_attribute("aria-expanded", "false")
    expect(rows_named(page, "TPL_SUM Example")).to_have_count(1)  # the second template's
    template.locator(".toggle").click()
    expect(rows_named(page, "TPL_SUM Example")).to_have_count(2)

    row(page, "Tpl.do_sum", 0).click()
    page.keyboard.press("ArrowDown")
    expect(row(page, "Tpl.delay", 0)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("ArrowLeft")  # a step: to its container
    page.keyboard.press("ArrowLeft")  # a container: collapse it
    expect(row(page, "TPL_SUM Example", 0)).to_have_class(re.compile(r"\bselected\b"))
    expect(rows_named(page, "Tpl.delay")).to_have_count(1)
    page.keyboard.press("ArrowRight")
    expect(rows_named(page, "Tpl.delay")).to_have_count(2)
    page.keyboard.press("Enter")  # toggles
    expect(rows_named(page, "Tpl.delay")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(rows_named(page, "Tpl.delay")).to_have_count(2)
    page.keyboard.press("End")
    expect(row(page, "Tpl.delay", 1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Home")
    expect(row(page, "My humble II OB(A)")).to_have_class(re.compile(r"\bselected\b"))


def test_the_toolbar_has_keyboard_shortcuts_told_in_its_tooltips(open_page):
    page = open_page()
    append_sample_ob(page)
    for command, key in [("run", "R"), ("continue", "C"), ("abort", "A"), ("pause", "P"), ("skip", "S")]:
        expect(page.locator(f"[data-command={command}]")).to_have_attribute("title", re.compile(rf"\(Alt\+{key}\)$"))
    row(page, "Tpl.delay", 1).click()
    page.keyboard.press("Alt+P")  # pause the selected node
    expect(state(page, "Tpl.delay", 1)).to_have_text("Not Started (Pause)", timeout=WAIT)
    page.keyboard.press("Alt+R")
    expect(state(page, "Tpl.delay", 1)).to_have_text("Paused (Pause)", timeout=WAIT)
    expect(page.locator("#connection-state")).to_have_text("Connected, paused", timeout=WAIT)
    page.keyboard.press("Alt+C")  # continue: resume the paused node
    expect(page.locator("#connection-state")).to_have_text("Connected, run finished", timeout=WAIT)
    expect(state(page, "Tpl.delay", 1)).to_have_text("Finished (Pause)")


def test_skip_and_pause_from_the_context_menu_are_honoured(open_page):
    page = open_page()
    append_sample_ob(page)
    node_menu(page, "Tpl.do_sum", 0, "Skip")
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Not Started (Skip)", timeout=WAIT)
    node_menu(page, "Tpl.delay", 1, "Pause")
    expect(state(page, "Tpl.delay", 1)).to_have_text("Not Started (Pause)", timeout=WAIT)

    page.click("[data-command=run]")
    expect(state(page, "Tpl.delay", 1)).to_have_text("Paused (Pause)", timeout=WAIT)
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Finished: Skip (Skip)")
    expect(log_lines(page, "xSUM 0 + 10 = 10")).to_have_count(1)
    expect(log_lines(page, "xSUM 0 + 77")).to_have_count(0)  # the skipped step never ran
    expect(state(page, "My humble II OB(A)")).not_to_have_text("Finished")

    node_menu(page, "Tpl.delay", 1, "UnPause")
    expect(state(page, "My humble II OB(A)")).to_have_text("Finished", timeout=WAIT)
    expect(state(page, "Tpl.delay", 1)).to_have_text("Finished")

    row(page, "Tpl.do_sum", 0).click()  # the toolbar's Skip and Pause act on the selected node
    page.click("[data-command=skip]")
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Finished: Skip", timeout=WAIT)
    page.click("[data-command=pause]")
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Finished: Skip (Pause)", timeout=WAIT)


def test_edited_template_variable_is_used_by_the_running_template(open_page, screenshot):
    page = open_page()
    append_sample_ob(page)
    node_menu(page, "Tpl.do_sum", 1, "Pause")
    page.click("[data-command=run]")
    expect(state(page, "Tpl.do_sum", 1)).to_have_text("Paused (Pause)", timeout=WAIT)

    page.click("[data-tab=variables]")
    expect(page.locator("#ob-list li")).to_have_text(["My humble II OB(A)"])
    par_b = page.locator("#variables tr.variable", has=page.locator("td.name", has_text="par_b")).nth(1)
    expect(par_b.locator("td.type")).to_have_text("integer")
    expect(par_b.locator("td.value")).to_have_text("0")
    par_b.locator("td.value").dblclick()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(par_b).to_have_class(re.compile("edited"))
    screenshot(page, "gui-variables")
    page.click("#set-variables")
    expect(page.locator("#last-reply")).to_have_class("ok", timeout=WAIT)
    expect(par_b.locator("td.value")).to_have_text("5", timeout=WAIT)
    expect(par_b).not_to_have_class(re.compile("edited"))

    page.click("[data-tab=logs]")
    page.click("[data-command=continue]")  # resumes the paused node
    expect(log_lines(page, "xSUM 5 + 10 = 15")).to_have_count(1, timeout=WAIT)
    expect(log_lines(page, "xSUM 0 + 77 = 77")).to_have_count(1)


def test_abort_cancels_the_run_and_continue_finishes_it(open_page):
    page = open_page()
    append_sample_ob(page)
    page.click("[data-command=run]")
    expect(state(page, "Tpl.do_sum", 0)).to_have_text("Running", timeout=WAIT)
    page.click("[data-command=abort]")
    expect(state(page, "Tpl.do_sum", 0)).to_have_text(re.compile("^Cancelled"), timeout=WAIT)
    expect(page.locator("#connection-state")).to_have_text("Connected, run aborted")
    expect(state(page, "Tpl.do_sum", 1)).not_to_have_text("Finished")
    page.click("[data-command=continue]")
    expect(state(page, "My humble II OB(A)")).to_have_text("Finished", timeout=WAIT)
    expect(log_lines(page, "xSUM 0 + 10 = 10")).to_have_count(1)


def test_refused_variable_value_is_reported_and_nothing_changes(open_page):
    page = open_page()
    append_sample_ob(page)
    page.click("[data-tab=variables]")
    par_b = page.locator("#variables tr.variable", has=page.locator("td.name", has_text="par_b")).first
    par_b.locator("td.value").dblclick()
    page.keyboard.type("five")
    page.keyboard.press("Enter")
    page.click("#set-variables")
    expect(page.locator("#last-reply")).to_have_class("failed", timeout=WAIT)
    expect(page.locator("#last-reply")).to_contain_text("par_b")
    expect(par_b.locator("td.value")).to_have_text("0", timeout=WAIT)


def test_error_dialog_retry_then_ignore(open_page, screenshot):
    page = open_page()
    command(page, "load seq.samples.test_err")
    page.click("[data-command=run]")
    dialog = page.locator("#error-dialog")
    expect(dialog).to_be_visible(timeout=WAIT)
    expect(dialog.locator(".exception")).to_contain_text("ZeroDivisionError")
    expect(dialog.locator(".traceback")).to_contain_text("test_err.py")
    expect(state(page, "Tpl.b")).to_have_text("Finished: Error")
    expect(state(page, "Tpl.c")).to_have_text("Cancelled")
    screenshot(page, "gui-error")

    dialog.get_by_role("button", name="Retry").click()
    expect(log_lines(page, re.compile("^b$"))).to_have_count(2, timeout=WAIT)  # b ran again...
    expect(dialog).to_be_visible(timeout=WAIT)  # ...and failed again

    dialog.get_by_role("button", name="Ignore").click()
    expect(dialog).to_be_hidden()
    expect(log_lines(page, re.compile("^c$"))).to_have_count(1, timeout=WAIT)
    expect(state(page, "Tpl.c")).to_have_text("Finished", timeout=WAIT)
    expect(state(page, "Tpl.b")).to_have_text("Finished: Error")

    page.click("[data-command=reset]")
    expect(state(page, "Tpl.b")).to_have_text("Not Started", timeout=WAIT)
    page.click("[data-command=run]")
    expect(dialog).to_be_visible(timeout=WAIT)
    dialog.get_by_role("button", name="Discard").click()
    expect(dialog).to_be_hidden()
    expect(state(page, "Tpl.b")).to_have_text("Finished: Error")


def test_basic_dialog_answered_in_one_page_closes_in_every_page(open_page):
    first, second = open_page(), open_page()
    command(first, "load seq.samples.dialog")
    expect(row(second, "some_dialog")).to_be_visible(timeout=WAIT)
    first.click("[data-command=run]")
    for page in (first, second):
        prompt = page.locator("#basic-dialog")
        expect(prompt).to_be_visible(timeout=WAIT)
        expect(prompt).to_contain_text("my first dialog")
    second.locator("#basic-dialog").get_by_role("button", name="perform extra step").click()
    for page in (first, second):
        expect(page.locator("#basic-dialog")).to_be_hidden(timeout=WAIT)
    expect(log_lines(first, "What an extra step!")).to_have_count(1, timeout=WAIT)
    expect(log_lines(first, re.compile("^b$"))).to_have_count(1, timeout=WAIT)
    expect(state(second, "Sequence")).to_have_text("Finished", timeout=WAIT)


def test_two_pages_see_the_same_run(open_page):
    first = open_page()
    append_sample_ob(first)
    first.click("[data-command=run]")
    expect(state(first, "Tpl.do_sum", 0)).to_have_text("Running", timeout=WAIT)
    late = open_page()  # joins mid-run: starts from the welcome's snapshot
    expect(state(late, "Tpl.do_sum", 0)).to_have_text(re.compile("Running|Finished"), timeout=WAIT)
    for page in (first, late):
        expect(state(page, "My humble II OB(A)")).to_have_text("Finished", timeout=WAIT)
        expect(log_lines(page, "xSUM 0 + 10 = 10")).to_have_count(1)
    rows = first.locator("#tree tbody td.state").all_inner_texts()
    assert late.locator("#tree tbody td.state").all_inner_texts() == rows


def test_server_restart_is_shown_and_the_page_resynchronises_without_reload(open_page, server):
    page = open_page()
    command(page, "load seq.samples.test_err")
    page.click("[data-command=run]")
    page.locator("#error-dialog").get_by_role("button", name="Discard").click()
    expect(page.locator("#connection-state")).to_have_text("Connected, run stopped on an error")
    page.evaluate("window.loadedOnce = true")

    server.stop()
    expect(page.locator("#banner")).to_be_visible(timeout=WAIT)
    expect(page.locator("[data-command=run]")).to_be_disabled()
    expect(page.locator("#connection-state")).to_contain_text("Disconnected")

    restarted = ServerProcess(port=server.port)
    try:
        expect(page.locator("#banner")).to_be_hidden(timeout=WAIT)
        expect(page.locator("[data-command=run]")).to_be_enabled()
        expect(page.locator("#tree tbody tr[data-sn]")).to_have_count(0)  # the new server has nothing loaded
        expect(page.locator("#connection-state")).to_have_text("Connected")  # and has run nothing
        command(page, "load seq.samples.a")
        expect(row(page, "Example A")).to_be_visible(timeout=WAIT)
        assert page.evaluate("window.loadedOnce") is True  # same page, never reloaded
    finally:
        restarted.stop()


def test_debug_mode_adds_columns_and_the_console(open_page, screenshot):
    page = open_page(debug=False)
    command(page, "load seq.samples.a")
    expect(page.locator("#tree th", has_text="State")).to_be_hidden()
    expect(page.locator("[data-tab=console]")).to_be_hidden()

    page.click("#application-menu summary")
    page.check("#debug-mode")
    expect(page.locator("#tree th", has_text="State")).to_be_visible()
    page.click("[data-tab=console]")
    page.fill("#console-line", "nodes")
    page.press("#console-line", "Enter")
    log = page.locator("#console-log")
    expect(log).to_contain_text(re.compile(r"\d\d:\d\d:\d\d\.\d{3} sent: nodes"), timeout=WAIT)
    expect(log).to_contain_text(re.compile(r"\d\d:\d\d:\d\d\.\d{3} received: nodes"), timeout=WAIT)
    expect(log.locator("pre").last).to_contain_text("begin")
    page.fill("#console-line", "frobnicate")
    page.press("#console-line", "Enter")
    expect(page.locator("#console-log .console-received-error").last).to_contain_text("frobnicate", timeout=WAIT)
    screenshot(page, "gui-console")


HANGING_IMPORT = """
with open({fifo!r}) as gate:  # blocks until the test opens the FIFO for writing, then until it closes it
    gate.read()

from seq.lib.nodes import Sequence

def create_sequence(*args, **kw):
    return Sequence.create(lambda: None, name="hang_seq", **kw)
"""


def test_abort_gives_up_a_load_whose_module_hangs(open_page, tmp_path):
    fifo = tmp_path / "gate.fifo"
    os.mkfifo(fifo)
    script = tmp_path / "hang.py"
    script.write_text(HANGING_IMPORT.format(fifo=str(fifo)))
    page = open_page()
    gate = []
    opener = threading.Thread(target=lambda: gate.append(open(fifo, "w")), daemon=True)
    opener.start()
    page.fill("#command-line", f"load {script}")
    page.press("#command-line", "Enter")
    opener.join(WAIT / 1000)  # returns once the module being imported has opened the FIFO
    assert gate, "the module's import did not start"
    page.click("[data-command=abort]")
    log = page.locator("#console-log")
    expect(log).to_contain_text("aborted the load of", timeout=WAIT)
    expect(log).to_contain_text("did not finish; nothing of this load was loaded", timeout=WAIT)
    gate[0].close()  # the abandoned import goes on and ends
    command(page, "load seq.samples.a")
    expect(row(page, "Example A")).to_be_visible(timeout=WAIT)


def test_following_the_run_keeps_the_running_node_in_view(open_page):
    page = open_page()
    command(page, f"load {SCRIPTS / 'engineering.py'}")
    command(page, "pause -find_name actuator150.4")
    expect(page.locator("#follow-run")).to_be_checked()  # the manual's behaviour, by default
    page.click("[data-command=run]")
    expect(page.locator("#connection-state")).to_have_text("Connected, paused", timeout=WAIT)
    expect(row(page, "actuator150.4")).to_be_in_viewport()
    expect(state(page, "actuator150.4")).to_have_text("Paused (Pause)")

    page.uncheck("#follow-run")
    page.locator("#tree-pane").focus()
    page.keyboard.press("Home")
    page.click("[data-command=continue]")
    expect(page.locator("#connection-state")).to_have_text("Connected, run finished", timeout=WAIT)
    expect(row(page, "engineering")).to_be_in_viewport()  # left where the operator put it


def test_the_logs_tab_keeps_the_latest_lines_and_says_where_the_others_are(open_page, observer):
    page = open_page()
    command(page, f"load {SCRIPTS / 'chatty.py'}")
    page.click("[data-command=run]")
    expect(page.locator("#connection-state")).to_have_text("Connected, run finished", timeout=60_000)
    expect(log_lines(page, "line 14999")).to_have_count(1)  # the view follows the newest line
    note = page.locator("#logs-note")
    expect(note).to_have_text(re.compile(r"^The 10,000 latest lines; [\d,]+ earlier ones are in the session's seq_user\.log\.$"))
    earlier = int(re.search(r"; ([\d,]+) earlier", note.inner_text()).group(1).replace(",", ""))
    page.locator("#logs-scroll").hover()
    page.mouse.wheel(0, -1_000_000)
    first = page.locator("#logs tbody tr[class] td.message").first
    expect(first).to_have_text(re.compile(r"^line \d{5}$"))
    assert int(first.inner_text().split()[1]) >= earlier - 10  # the oldest kept (a few dropped lines were not ours)
    assert page.locator("#logs tbody tr").count() < 100  # only the rows on screen are in the document


def test_the_variables_are_asked_for_while_their_tab_shows_and_then_at_every_change(open_page, observer):
    page = open_page()
    sent_lsvar = page.locator("#console-log .console-sent", has_text=re.compile(r"sent: lsvar$"))
    append_sample_ob(page)
    expect(sent_lsvar).to_have_count(0)  # (the OB's tree event was handled: the outline shows it)
    page.click("[data-tab=variables]")
    expect(page.locator("#ob-list li")).to_have_text(["My humble II OB(A)"], timeout=WAIT)
    assert observer.connection.command(f"ob {SAMPLE_OB}").ok  # another client's OB, while the tab shows
    expect(page.locator("#ob-list li")).to_have_count(2, timeout=WAIT)
    page.click("[data-tab=logs]")
    asked = sent_lsvar.count()
    assert observer.connection.command(f"ob {SAMPLE_OB}").ok
    expect(row(page, "My humble II OB(A)", 2)).to_be_visible(timeout=WAIT)
    expect(sent_lsvar).to_have_count(asked)
