"""The ticket's life as one shared `transitions` state machine: the spec every change obeys.

The machine holds no tickets. To learn where `verify` takes a ticket that is `open`, a
throw-away cursor is attached at that state, the trigger is fired on it, and the cursor is
detached. That is done once per (state, trigger) at import, and the answers kept in a table,
so a transition costs a dictionary lookup instead of ~18 µs of machine work on the hot path;
the machine stays the only source of the answers. The chosen move is then written to MongoDB
by `workflows.tickets` with one conditional update; the machine is never bound to the Beanie
document itself because `transitions` sets trigger attributes on its models, which pydantic
refuses.
"""

from __future__ import annotations

import logging

from transitions import Machine, MachineError

from models.ticket import TicketState
from workflows.errors import TransitionNotAllowed, UnknownTrigger

# `transitions` logs every callback at INFO; the table below fires each move once at import.
logging.getLogger("transitions").setLevel(logging.WARNING)

STATES = [state.value for state in TicketState]

TRANSITIONS: list[dict[str, object]] = [
    {"trigger": "choose_payment_method", "source": "open", "dest": "="},
    {"trigger": "report_payment", "source": "open", "dest": "="},
    {"trigger": "reject_payment", "source": "open", "dest": "="},
    {"trigger": "verify", "source": "open", "dest": "paid"},
    {"trigger": "complete", "source": "paid", "dest": "completed"},
    {"trigger": "close", "source": "completed", "dest": "closed"},
    {"trigger": "cancel", "source": ["open", "paid"], "dest": "closed"},
    {"trigger": "expire", "source": "open", "dest": "closed"},
]

TRIGGERS = frozenset(str(t["trigger"]) for t in TRANSITIONS)

_MACHINE = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial=TicketState.OPEN.value,
    auto_transitions=False,
)


class _Cursor:
    """Stands in for a ticket while the machine answers one question."""

    state: str


def _fire_on_machine(source: TicketState, trigger: str) -> TicketState | None:
    """Ask the machine itself: None when the trigger does not apply from `source`."""
    cursor = _Cursor()
    _MACHINE.add_model(cursor, initial=source.value)
    try:
        getattr(cursor, trigger)()
    except MachineError:
        return None
    finally:
        _MACHINE.remove_model(cursor)
    return TicketState(cursor.state)


_MOVES: dict[tuple[TicketState, str], TicketState | None] = {
    (state, trigger): _fire_on_machine(state, trigger) for state in TicketState for trigger in TRIGGERS
}


def next_state(state: TicketState | str, trigger: str) -> TicketState:
    """The state `trigger` leads to from `state`.

    Raises UnknownTrigger for a name the machine does not know and TransitionNotAllowed when
    the trigger does not apply to that state (for example `verify` on a completed ticket).
    """
    if trigger not in TRIGGERS:
        raise UnknownTrigger(f"'{trigger}' is not something that can happen to a ticket")
    source = TicketState(state)
    dest = _MOVES[(source, trigger)]
    if dest is None:
        raise TransitionNotAllowed(f"cannot {trigger.replace('_', ' ')} a ticket that is {source.value}")
    return dest


def allowed_triggers(state: TicketState | str) -> list[str]:
    """Triggers that apply from `state`, in spec order (what buttons a UI may show)."""
    return [str(t) for t in _MACHINE.get_triggers(TicketState(state).value)]


def mermaid() -> str:
    """The machine as a Mermaid state diagram, generated from the spec above."""
    from transitions.extensions.diagrams import GraphMachine

    class _Drawing:
        pass

    drawing = _Drawing()
    GraphMachine(
        model=drawing,
        states=STATES,
        transitions=TRANSITIONS,
        initial=TicketState.OPEN.value,
        auto_transitions=False,
        graph_engine="mermaid",
        title="Ticket",
    )
    lines = drawing.get_graph().draw(None).splitlines()  # type: ignore[attr-defined]
    # Drop the colour classes, which only highlight the drawing model's current state.
    kept = [line for line in lines if "classDef" not in line and not line.strip().startswith("Class ")]
    kept.append("  closed --> [*]")
    return "\n".join(line.rstrip() for line in kept if line.strip()) + "\n"


if __name__ == "__main__":  # `python -m workflows.machine` prints the diagram for the README.
    print(mermaid(), end="")
