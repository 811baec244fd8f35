"""Form fields shared by the web pages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import formats

from mccs.core.amount import Amount, amount_from_text
from mccs.core.errors import InvalidRequest
from mccs.directory.fields import ENTITY_FIELD


def suggesting_input(*, datalist: str, url: str, delay_ms: int, **attrs: str) -> forms.TextInput:
    """A text input whose ``<datalist id=datalist>`` htmx fills from ``url`` as the person types (after a pause of
    ``delay_ms``), so the browser suggests while the page works without script too."""
    return forms.TextInput(
        attrs={
            **attrs,
            "list": datalist,
            "autocomplete": "off",
            "hx-get": url,
            "hx-trigger": f"input changed delay:{delay_ms}ms",
            "hx-target": f"#{datalist}",
            "hx-swap": "innerHTML",
        }
    )


class AmountField(forms.CharField):
    """An amount typed the way the member writes numbers (``10.50``, ``10,50``, ``1.234,50``), cleaned to an
    :class:`Amount` by the one parser in ``mccs.core.amount``; anything ambiguous is refused, never guessed.
    The widget carries the currency unit, which the templates show beside the input."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        kwargs.setdefault("max_length", 30)
        attrs = {"inputmode": "decimal", "autocomplete": "off", "data-unit": settings.MCCS_CURRENCY_UNIT}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def clean(self, value) -> Amount | None:
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return amount_from_text(text, field=self.field_name, allow_zero=self.allow_zero)
        except InvalidRequest as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def prepare_value(self, value):
        """A stored amount is shown the way the member's language writes numbers, without grouping."""
        if isinstance(value, Amount):
            value = value.to_decimal()
        if isinstance(value, Decimal):  # e.g. a limit from a service's answer (``maxNegativeBalance``)
            return formats.number_format(value, 2)
        return value

    @property
    def field_name(self) -> str:
        return str(self.label or "amount").lower()

    @property
    def unit(self) -> str:
        return settings.MCCS_CURRENCY_UNIT


def entity_form_field(name: str, **options) -> forms.Field:
    """The input for an entity field, labelled and limited as ``mccs.directory.fields`` declares it (every entity
    field may be left empty); ``options`` add a widget, help text or choices, or override the label."""
    declared = ENTITY_FIELD[name]
    options = {"label": declared.form_label, "required": False, **options}
    if declared.kind is bool:
        return forms.BooleanField(**options)
    if declared.kind is int:
        return forms.IntegerField(min_value=0, **options)
    if "choices" in options:
        return forms.ChoiceField(**options)
    field_class = forms.EmailField if name == "email" else forms.CharField
    return field_class(max_length=declared.max_length, **options)
