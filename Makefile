# The two commands of the README: `make run` (the demo) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-deps bench-deps i18n bench bench-pi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) || { scripts/apt-install.sh python3-venv python3-pip && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## make run: create .venv, install, start the simulated station on http://127.0.0.1:8080 and its district
## (a local mosquitto and the hub's console); `make run DEMO=` starts the station alone
DEMO ?= --district
run: $(STAMP)
	[ -z "$(DEMO)" ] || scripts/apt-install.sh mosquitto
	$(BIN)/vstation run --simulate $(DEMO) $(ARGS)

## make test: install what the tests need (apt: mosquitto, chromium, fonts) and run them all
test: test-deps $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-deps:
	scripts/apt-install.sh mosquitto chromium fonts-noto-cjk fonts-noto-extra fontconfig zbar-tools espeak-ng \
	  gcc python3-dev linux-libc-dev systemd cage cog shellcheck util-linux postgresql nats-server

## make i18n: extract messages, update the catalogs (kiosk: bo, en; district console: en), compile them
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k each_lang -o kiosk/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update --no-fuzzy-matching -i kiosk/translations/messages.pot -d kiosk/translations
	$(BIN)/pybabel compile -d kiosk/translations --statistics
	$(BIN)/pybabel extract -F district/babel.cfg -k _l -o district/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update --no-fuzzy-matching -i district/translations/messages.pot -d district/translations
	$(BIN)/pybabel compile -d district/translations --statistics

## make bench-deps: the clustered brokers of bench/broker_cluster.py and bench/cluster_faults.py (the tests need only nats-server)
bench-deps:
	scripts/apt-install.sh nats-server rabbitmq-server

bench: $(STAMP) bench-deps
	for b in bench/[a-z]*.py; do [ $$b = bench/pi.py ] || $(BIN)/python $$b || exit 1; done

## make bench-pi: every benchmark again under a Pi 4 and a Pi Zero 2 W CPU quota (cgroup v1; needs root)
bench-pi: $(STAMP)
	$(BIN)/python bench/pi.py $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
