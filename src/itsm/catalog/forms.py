"""Forms of the catalogue's web actions."""

from django import forms


class SeedYearForm(forms.Form):
    """The year of China's official arrangement to add (the holiday banner's button)."""

    year = forms.IntegerField(min_value=2000, max_value=2100)
