"""The station's configuration: `station.toml` read and validated (station.py), its typed readers, the
sections that say what a station offers (offer.py, help.py) and the district's overlay (district.py)."""

from .station import (
                      Config,
                      DeviceSettings,
                      LockerSettings,
                      LockerSlot,
                      MqttSettings,
                      config_path,
                      load,
                      parse,
                      with_mqtt,
                      with_overrides,
)

__all__ = ["Config", "DeviceSettings", "LockerSettings", "LockerSlot", "MqttSettings", "config_path", "load",
           "parse", "with_mqtt", "with_overrides"]
