"""The Discord contract: every custom id the store makes parses back to what it was built from,
anything else a client sends is refused without another exception, and the builders keep to
Discord's limits (components/reference.mdx; resources/message.mdx, Embed Limits)."""

from __future__ import annotations

import pytest
from bson import ObjectId
from hypothesis import given
from hypothesis import strategies as st

from workflows.discord_contract import components, custom_ids, embeds
from workflows.discord_contract.components import ButtonStyle, Option
from workflows.discord_contract.custom_ids import (
    Action,
    InvalidCustomId,
    PanelButton,
    PanelNumber,
    ProductControl,
    StarRating,
    TicketControl,
)

ticket_ids = st.builds(lambda: str(ObjectId()))
every_custom_id = st.one_of(
    st.sampled_from(sorted(PanelButton.ACTIONS)).map(PanelButton),
    st.builds(PanelNumber, st.sampled_from(sorted(PanelNumber.ACTIONS)), st.integers(0, 9999)),
    st.builds(TicketControl, st.sampled_from(sorted(TicketControl.ACTIONS)), ticket_ids),
    st.builds(StarRating, st.sampled_from(sorted(StarRating.ACTIONS)), ticket_ids, st.integers(1, 5)),
    st.builds(ProductControl, st.sampled_from(sorted(ProductControl.ACTIONS)), ticket_ids),
)


def test_every_action_has_one_shape():
    kinds = [
        PanelButton.ACTIONS,
        PanelNumber.ACTIONS,
        TicketControl.ACTIONS,
        StarRating.ACTIONS,
        ProductControl.ACTIONS,
    ]
    assert sum(len(k) for k in kinds) == len(Action) and set().union(*kinds) == set(Action)


@given(every_custom_id)
def test_every_custom_id_round_trips_within_discords_100_characters(custom_id):
    raw = custom_id.build()
    assert 1 <= len(raw) <= 100  # components/reference.mdx: custom_id 1-100 characters
    assert custom_ids.parse(raw) == custom_id


def test_the_wire_form_of_buttons_already_posted_is_kept():
    ticket = "65f0a1b2c3d4e5f6a7b8c9d0"
    assert custom_ids.BUY.build() == "buy_btn"
    assert custom_ids.PAYMENT_METHODS.build() == "payment_btn"
    assert custom_ids.panel_page(2).build() == "panel_page:2"
    assert custom_ids.product_menu(25).build() == "buy_select:25"
    assert custom_ids.ticket(Action.PAID, ticket).build() == f"paid:{ticket}"
    assert custom_ids.ticket(Action.CLOSE_CONFIRM, ticket).build() == f"close_confirm:{ticket}"
    assert custom_ids.stars(Action.RATE, ticket, 4).build() == f"rate:{ticket}:4"
    assert custom_ids.stars(Action.RATING, ticket, 4).build() == f"rating:{ticket}:4"


@given(st.text(max_size=300))
def test_any_text_a_client_sends_is_parsed_or_refused_never_crashes(raw):
    try:
        parsed = custom_ids.parse(raw)
    except InvalidCustomId:
        return
    assert parsed.build() == raw  # only what build makes is accepted


@pytest.mark.parametrize(
    ("raw", "action"),
    [
        ("rate:65f0a1b2c3d4e5f6a7b8c9d0:abc", Action.RATE),
        ("rate:65f0a1b2c3d4e5f6a7b8c9d0:6", Action.RATE),
        ("rating:65f0a1b2c3d4e5f6a7b8c9d0:٥", Action.RATING),
        ("paid:not-a-ticket", Action.PAID),
        ("paid:65F0A1B2C3D4E5F6A7B8C9D0", Action.PAID),
        ("paid:65f0a1b2c3d4e5f6a7b8c9d0:extra", Action.PAID),
        ("cancel", Action.CANCEL),
        ("panel_page:-1", Action.PANEL_PAGE),
        ("panel_page: 1", Action.PANEL_PAGE),
        ("buy_btn:1", Action.BUY),
        ("x" * 101, None),
        ("", None),
        ("someone_elses_button", None),
        ("paid" + ":" * 99, None),
    ],
)
def test_a_forged_custom_id_is_refused_with_the_action_it_names(raw, action):
    with pytest.raises(InvalidCustomId) as refused:
        custom_ids.parse(raw)
    assert refused.value.action == action


def test_a_custom_id_over_100_characters_is_never_built():
    with pytest.raises(ValueError):
        TicketControl(Action.PAID, "x" * 120)
    with pytest.raises(ValueError):
        PanelNumber(Action.PANEL_PAGE, 10_000)


def test_components_keep_to_discords_limits():
    long = "é" * 200
    button = components.button(custom_ids.BUY, long, ButtonStyle.SUCCESS)
    assert button["type"] == 2 and button["style"] == 3 and button["custom_id"] == "buy_btn"
    assert len(button["label"]) == 80 and button["label"].endswith("…")  # label max 80
    five = [components.button(custom_ids.panel_page(n), str(n), ButtonStyle.SECONDARY) for n in range(5)]
    assert components.row(*five)["components"] == five
    with pytest.raises(ValueError):  # an action row holds up to 5 buttons
        components.row(*five, button)
    with pytest.raises(ValueError):
        components.row()
    menu = components.menu(
        custom_ids.product_menu(0), [Option(long, "v" * 150, long) for _ in range(25)], long
    )
    select = menu["components"][0]
    assert select["type"] == 3 and len(select["options"]) == 25  # options max 25
    assert len(select["placeholder"]) == 150  # placeholder max 150
    assert {len(select["options"][0][k]) for k in ("label", "value", "description")} == {100}
    with pytest.raises(ValueError):
        components.menu(custom_ids.product_menu(0), [Option("a", "a")] * 26)
    rows = [components.row(button)] * 5
    assert components.rows(*rows) == rows
    with pytest.raises(ValueError):  # up to 5 action rows a message
        components.rows(*rows, components.row(button))


def test_embeds_keep_to_discords_limits():
    made = embeds.embed("t" * 300, "d" * 5000)
    assert len(made["title"]) == 256 and len(made["description"]) == 4096
    made = embeds.embed(fields=[embeds.Field("n" * 300, "v" * 2000)], footer="f" * 3000)
    assert len(made["fields"][0]["name"]) == 256 and len(made["fields"][0]["value"]) == 1024
    assert len(made["footer"]["text"]) == 2048
    with pytest.raises(ValueError):  # title + description + field + footer > 6,000 together
        embeds.embed("t", "d" * 4000, fields=[embeds.Field("n", "v" * 1000)] * 2, footer="f")
    with pytest.raises(ValueError):  # up to 25 fields
        embeds.embed("t", fields=[embeds.Field("n", "v")] * 26)
    empty = embeds.embed("t", fields=[embeds.Field("", "")])
    assert empty["fields"][0]["name"] == "—" and empty["fields"][0]["value"] == "—"
