# vip-announcer — the stable way in. Every target installs what it needs.
#   make demo    boot the lab and run vip-announcer against it (local, no cluster needed)
#   make test    lint, typecheck, unit tests, alert rules (promtool), then end-to-end tests on the real lab
#   make images  the OCI images (vip-announcer, gobgpd; linux/amd64 + arm64) into .images/, with their sizes
#   make bench   benchmark figures on the lab (1,000 Services × 3 nodes; BENCH_SERVICES=10000, LAB_NODE_COUNT=20), then speaker Pod start → all routes on real nodes (BENCH_PODS=0 skips, =only alone)
#   make lab-up / lab-down      the lab alone (source .lab/env to drive it); LAB_MODE=nodes: real nodes (.lab-nodes/env)
#   make install deploy         CRDs, then RBAC + controller, into the cluster of $KUBECONFIG
#   make manifests              copy crds/ into config/crd/bases (kustomize needs it there)
#   make bundle bundle-validate the OLM bundle in bundle/, and its validation (operatorframework suite)
#   make chart                  the Helm chart dist/chart/vip-announcer, from config/
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TEST := node --test --test-reporter=spec

.PHONY: help deps build images chart lint typecheck unit rules e2e test lab-up lab-down bench demo clean manifests install deploy bundle bundle-validate

help:
	@sed -n 's/^#   //p' Makefile

deps:
	@hack/deps.sh all

node_modules/.vipa-lock-hash: package-lock.json
	@hack/deps.sh npm

build: node_modules/.vipa-lock-hash
	@npm run --silent build

images: build
	@hack/images.sh

lint: node_modules/.vipa-lock-hash
	@echo "== eslint"; npx eslint --max-warnings=0 .

typecheck: node_modules/.vipa-lock-hash
	@echo "== tsc --noEmit (strict)"; npx tsc -p tsconfig.json --noEmit

unit: build
	@echo "== unit tests"; $(NODE_TEST) $$(find dist/operator -name '*.test.js' | sort)

rules: node_modules/.vipa-lock-hash
	@hack/check-rules.sh

e2e: build
	@hack/e2e.sh

test: deps lint typecheck unit rules bundle-validate e2e

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

# kubectl: the one on PATH, else the lab's (built by hack/deps.sh bins).
KUBECTL ?= $(shell command -v kubectl 2>/dev/null || echo $$HOME/.cache/vip-announcer/k8s/v$$(sed -n 's/^require k8s.io\/kubernetes v//p' hack/k8s/go.mod)/kubectl)

manifests:
	@cp crds/*.yaml config/crd/bases/

install:
	$(KUBECTL) apply -f crds/

deploy:
	$(KUBECTL) apply -k config/default

# The Helm chart, dist/chart/vip-announcer, from config/ (helm itself: hack/build-helm.sh).
chart: deps
	@hack/chart.sh

bundle: deps
	@hack/bundle.sh

bundle-validate: deps
	@hack/bundle.sh --validate
