# gatehouse: build, check and deploy the stack.
#   make test                      everything CI runs (no AWS account needed)
#   make deploy YOUR_EMAIL=... STACK_BUCKET=...   deploy to AWS with SAM
SHELL := /bin/bash

STACK_NAME ?= gatehouse
STACK_BUCKET ?=
YOUR_EMAIL ?= test@example.com
VERSION ?= v1
ARCHITECTURE ?= arm64

VENV := .venv
PY := $(VENV)/bin/python
MINISTACK_VENV := .venv-ministack
# The venv's tools (cfn-lint, aws, cargo-lambda, pytest) come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# The suites that take minutes: real templates, the README's clone-and-build, the model fuzz,
# the browser, the bench. `make test-fast` leaves them out.
SLOW_TESTS := tests/conformance/test_corpus.py tests/conformance/test_generated_ids.py tests/cdk/test_cdk.py tests/conformance/test_readme.py \
	tests/conformance/test_model_fuzz.py tests/browser tests/bench

.PHONY: test test-fast check-rust lint lambda release bench micro local build deploy outputs teardown venv clean

## test: formatting, clippy, Rust tests, template checks, the Lambda build, and the
## conformance tests (real AWS CLI, boto3, pycognito and PyJWT against a real `gatehouse up`)
test: check-rust lint lambda release
	$(PY) -m pytest -q tests

## test-fast: what a developer runs between changes: `make test` without the slow suites (SLOW_TESTS)
test-fast: venv check-rust release
	$(PY) -m pytest -q tests $(addprefix --ignore=,$(SLOW_TESTS))

## release: the gatehouse binary the conformance tests run (and users run)
release:
	cargo build --release -p gatehouse

## bench: gatehouse beside a bare hyper baseline (wrk, loopback); PEERS=1 adds ministack and moto
bench: venv $(if $(filter 1,$(PEERS)),$(MINISTACK_VENV)/.installed)
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	cargo build --release -p gatehouse -p baseline -p functions
	PEERS=$(PEERS) $(PY) bench/bench.py

## micro: criterion micro-benchmarks of the request path's parts (tokens, proxy event, SRP, argon2)
micro:
	cargo bench -p micro

# ministack (a peer for PEERS=1) in its own venv: its pins differ from the test tools'.
$(MINISTACK_VENV)/.installed: bench/ministack-requirements.txt
	python3 -m venv $(MINISTACK_VENV)
	$(MINISTACK_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/ministack-requirements.txt
	touch $@

## local: serve the stack locally from template.yaml
local:
	cargo run --release -p gatehouse -- up

check-rust:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace

## lint: cfn-lint and the SAM translation of template.yaml, offline
lint: venv
	cfn-lint template.yaml
	$(PY) -m pytest -q tests/template

## lambda: the functions as Lambda bootstraps (x86_64; arm64 needs a cross target)
lambda: venv
	cargo lambda build --release --x86-64 -p functions
	@ls -l target/lambda/open/bootstrap target/lambda/authenticated/bootstrap

venv: $(VENV)/.installed
$(VENV)/.installed: tests/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

## build: sam build (runs cargo-lambda for each function; needs the SAM CLI)
build: venv
	sam build --beta-features --parameter-overrides Architecture=$(ARCHITECTURE)

## deploy: from zero or as an update; an unchanged stack is not an error
deploy: build
	@[ -n "$(STACK_BUCKET)" ] || { echo "STACK_BUCKET is not set: make deploy STACK_BUCKET=<an S3 bucket you own> YOUR_EMAIL=<you@example.com>" >&2; exit 2; }
	sam deploy \
	  --stack-name $(STACK_NAME) \
	  --s3-bucket $(STACK_BUCKET) \
	  --capabilities CAPABILITY_IAM \
	  --no-fail-on-empty-changeset \
	  --no-confirm-changeset \
	  --parameter-overrides YourEmail=$(YOUR_EMAIL) Version=$(VERSION) Architecture=$(ARCHITECTURE)
	$(MAKE) --no-print-directory outputs

## outputs: the deployed stack's CognitoID, CognitoClientID and ApiUrl
outputs:
	aws cloudformation describe-stacks --stack-name $(STACK_NAME) \
	  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table

## teardown: delete the stack and wait until it is gone
teardown:
	aws cloudformation delete-stack --stack-name $(STACK_NAME)
	aws cloudformation wait stack-delete-complete --stack-name $(STACK_NAME)

clean:
	cargo clean
	rm -rf $(VENV) $(MINISTACK_VENV) .aws-sam
