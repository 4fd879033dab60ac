"""A sequence component: a server registered in the location service, which becomes a sequencer.

``seqserver --component ESW.ESW_77`` registers the component (TMT's model: see
``docs/location.md``). ``loadscript SUBSYSTEM OBSMODE [VARIATION]`` loads the
script the configuration file names for that observing mode and registers the
sequencer ``SUBSYSTEM@OBSMODE[.VARIATION]`` beside the component; ``unloadscript``
makes it idle again. The registration belongs to the server process: a shell or
kernel restarted after a crash keeps it, and the work it had is restored. The
work log is also kept in the location service, so a server started again under
the same name (after it crashed, or its host rebooted) comes back with its
sequencer and its work.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

import structlog
import trio

import protocol
from protocol import Outcome
from seqclient.config import Config
from seqlocation import (
    RUNNING, Directory, Entry, InvalidName, LocationError, NameTaken, Registration, check_obsmode, lookup_names,
    open_directory, sequencer_name,
)
from seqlocation.names import check_subsystem
from seqserver.chain import ShellChain
from seqserver.worklog import WorkLog

log = structlog.get_logger("seqserver.component")


@dataclass(frozen=True)
class Script:
    """What a loadscript asked for, and the module it loaded."""

    subsystem: str
    obsmode: str
    variation: str | None
    module: str

    @property
    def sequencer(self) -> str:
        return sequencer_name(self.subsystem, self.obsmode, self.variation).text

    def command(self) -> str:
        return shlex.join(["loadscript", self.subsystem, self.obsmode, *([self.variation] if self.variation else [])])


class Component:
    """The server as a sequence component: its registration, and the commands that change it."""

    def __init__(self, registration: Registration, directory: Directory, chain: ShellChain, config: Config,
                 simulating: bool = False) -> None:
        self.registration = registration
        self.directory = directory
        self.chain = chain
        self.config = config
        self.simulating = simulating
        self.script: Script | None = None
        self._change_noted = trio.Event()

    @property
    def name(self) -> str:
        return self.registration.entry.name

    def holds(self, name: str) -> bool:
        """Whether this server holds ``name`` (a component or sequencer name, or TMT's dotted form)."""
        return any(self.registration.holds(candidate) for candidate in lookup_names(name))

    def describe(self) -> str:
        """``ESW.ESW_77 running IRIS@IRIS_ifsonly (simulation)``."""
        running = f" running {self.script.sequencer}" if self.script else " (idle)"
        return self.name + running + (" (simulation)" if self.simulating else "")

    def names(self) -> str:
        held = [self.name, *([self.script.sequencer] if self.script else [])]
        return " and ".join(held)

    # -- the commands -------------------------------------------------------------------------

    async def run(self, command: protocol.Command, words: list[str]) -> Outcome:
        """Carry out one of the component's commands (``protocol.SEQSERVER`` in the table)."""
        try:
            args = protocol.parse(command, words)
        except (protocol.HelpRequested, protocol.CommandLineError) as stop:
            return Outcome.from_parser(stop)
        try:
            return await getattr(self, f"_{command.name}")(args)
        except (InvalidName, LocationError) as exc:
            return Outcome.failure(str(exc))

    async def _loadscript(self, args) -> Outcome:
        subsystem, obsmode = check_subsystem(args.subsystem), check_obsmode(args.obsmode)
        if self.script is not None:
            return Outcome.failure(f"{self.name} already runs the sequencer {self.script.sequencer}: unloadscript "
                                   "first")
        choice = self.config.scripts.get(subsystem, {}).get(obsmode)
        where = f"the configuration file {self.config.path}" if self.config.path else "no configuration file"
        if choice is None:
            return Outcome.failure(f"no script of {subsystem} for the observing mode {obsmode} in {where} "
                                   f"(scripts.{subsystem}.{obsmode})")
        try:
            module = choice.module(args.variation, self.simulating)
        except KeyError:
            return Outcome.failure(f"no variation {args.variation} of {subsystem}'s script for {obsmode} in {where} "
                                   f"(scripts.{subsystem}.{obsmode}.variations)")
        return await self._load(Script(subsystem, obsmode, args.variation, module))

    async def _load(self, script: Script) -> Outcome:
        """Take the sequencer's name, then load its module; give the name back if the load fails."""
        try:
            await self.registration.add_sequencer(script.sequencer)
        except NameTaken as exc:
            return Outcome.failure(f"cannot become {script.sequencer}: {exc}")
        loaded = await self.chain.command(shlex.join(["load", script.module]))
        if not loaded.ok:
            await self.registration.remove_sequencer()
            return Outcome(output=loaded.output, error=f"cannot load {script.module} for {script.sequencer}: "
                           f"{loaded.error}")
        await self.registration.update(state=RUNNING)
        self.script = script
        self.note_change()
        log.info("sequencer loaded", sequencer=script.sequencer, module=script.module)
        return Outcome(f"{self.name} runs the sequencer {script.sequencer} ({script.module})\n{loaded.output}",
                       data=self.registration.sequencer.to_dict())

    async def _unloadscript(self, args) -> Outcome:
        if self.script is None:
            return Outcome(f"{self.name} is idle: there is no script to unload")
        cleared = await self.chain.command("clear")
        if not cleared.ok:
            return Outcome.failure(f"cannot unload {self.script.sequencer}: {cleared.error}")
        unloaded, self.script = self.script, None
        await self.registration.remove_sequencer()
        self.note_change()
        log.info("sequencer unloaded", sequencer=unloaded.sequencer)
        return Outcome(f"{self.name} no longer runs {unloaded.sequencer}: idle")

    async def _restartscript(self, args) -> Outcome:
        if self.script is None:
            return Outcome.failure(f"{self.name} is idle: there is no script to restart (loadscript first)")
        script = self.script
        unloaded = await self._unloadscript(args)
        if not unloaded.ok:
            return unloaded
        return unloaded.then(await self._load(script))

    async def _getstatus(self, args) -> Outcome:
        sequencer = self.registration.sequencer
        if sequencer is None:
            return Outcome(f"{self.name} is idle (no sequencer) at {self.registration.entry.address}")
        return Outcome(f"{sequencer.name} at {sequencer.address}, on the component {self.name}",
                       data=sequencer.to_dict())

    async def _getsequencecomponent(self, args) -> Outcome:
        if self.registration.sequencer is None:
            return Outcome.failure(f"{self.name} runs no sequencer: it is the component itself")
        entry = self.registration.entry
        return Outcome(f"{entry.name} at {entry.address}", data=entry.to_dict())

    # -- what survives the server ------------------------------------------------------------------

    def note_change(self) -> None:
        """The work log or the script changed: save them (soon, by :meth:`keep_saved`)."""
        self._change_noted.set()

    async def keep_saved(self, worklog: WorkLog) -> None:
        """Save the component's script and work log in the location service whenever they change,
        until cancelled (a server started again under this name reads them back: :meth:`restore`)."""
        while True:
            await self._change_noted.wait()
            self._change_noted = trio.Event()
            state = {"script": self.script.__dict__ if self.script else None,
                     "settings": worklog.settings(), "lines": worklog.lines()}
            try:
                await self.directory.data.set(_work_key(self.name), json.dumps(state))
            except LocationError as exc:
                log.warning("could not save the work log", error=str(exc))

    async def restore(self, worklog: WorkLog) -> str | None:
        """What a server of this name saved, given back: its sequencer's name taken again and its
        work put in ``worklog`` (the chain then replays it). What was restored, for the log."""
        saved = await self.directory.data.get(_work_key(self.name))
        if not saved:
            return None
        state = json.loads(saved)
        worklog.replace(state.get("settings", []), state.get("lines", []))
        if state.get("script"):
            script = Script(**state["script"])
            try:
                await self.registration.add_sequencer(script.sequencer)
            except NameTaken as exc:
                worklog.forget()
                return f"not restored: {exc}"
            await self.registration.update(state=RUNNING)
            self.script = script
        return f"restored {self.script.sequencer if self.script else 'the idle component'} with " \
               f"{len(worklog.lines())} loading command(s)"


def _work_key(component: str) -> str:
    return f"work/{component}"


@dataclass(frozen=True)
class ComponentOptions:
    """What ``seqserver --component NAME [--redis ADDRESS] [--simulation]`` asks for."""

    name: str
    redis: str | None = None
    simulation: bool = False


async def serve_component(options: ComponentOptions, chain: ShellChain, config: Config, entry: Entry, *,
                          task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Register the component ``entry`` names, give it back its saved work, and keep it registered and its
    work saved until cancelled (then it unregisters). Reports the :class:`Component` once registered;
    NameTaken (naming the holder) or RegistryUnavailable before that."""
    async with open_directory(options.redis) as directory, trio.open_nursery() as nursery:
        registration = await nursery.start(directory.hold, entry)
        component = Component(registration, directory, chain, config, options.simulation)
        restored = await component.restore(chain.worklog)
        if restored:
            log.info("component restored", component=component.name, restored=restored)
        chain.worklog.on_change = component.note_change
        nursery.start_soon(component.keep_saved, chain.worklog)
        log.info("component registered", component=component.name, registry=directory.address)
        task_status.started(component)
