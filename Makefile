# vip-announcer — the stable way in. Every target installs what it needs.
#   make demo    boot the lab and run vip-announcer against it (local, no cluster needed)
#   make test    lint, typecheck, unit tests, then end-to-end tests on the real lab
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TEST := node --test --test-reporter=spec

.PHONY: help deps build lint typecheck unit e2e test lab-up lab-down bench demo clean

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@hack/deps.sh all

node_modules/.vipa-lock-hash: package-lock.json
	@hack/deps.sh npm

build: node_modules/.vipa-lock-hash
	@npm run --silent build

lint: node_modules/.vipa-lock-hash
	@echo "== eslint"; npx eslint --max-warnings=0 .

typecheck: node_modules/.vipa-lock-hash
	@echo "== tsc --noEmit (strict)"; npx tsc -p tsconfig.json --noEmit

unit: build
	@echo "== unit tests"; $(NODE_TEST) $$(find dist/operator -name '*.test.js' | sort)

e2e: build
	@hack/e2e.sh

test: deps lint typecheck unit e2e

lab-up: build
	@hack/lab.sh up

lab-down:
	@hack/lab.sh down

bench: deps build
	@hack/bench.sh

demo: deps build
	@hack/demo.sh

clean:
	rm -rf dist
