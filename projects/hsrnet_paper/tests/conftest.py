"""The library's shared fixtures (the real-data root among them)."""
from tests.conftest import shanghaitech_root  # noqa: F401
