"""Every activities test signs several staff in: hash their passwords lightly."""

import pytest


@pytest.fixture(autouse=True)
def _light_passwords(light_passwords: None) -> None:
    """Light Argon2 parameters for the staff accounts each test makes."""
