# The two README commands: `make demo` (the main job) and `make test` (every test). Both set up first.
SHELL := /bin/bash
DOTNET ?= dotnet
CLI := src/GpuSearch.Cli/bin/Release/net10.0/gpusearch
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: setup build demo test publish
setup:
	@bash scripts/setup.sh

build: setup
	$(DOTNET) build GpuSearchEngine.sln -c Release -nologo -v q

demo: build
	$(CLI) devices
	$(CLI) smoke

test: setup
	@set -o pipefail; log=$$(mktemp); \
	$(DOTNET) test GpuSearchEngine.sln -c Release -nologo --logger "console;verbosity=normal" 2>&1 | tee $$log; rc=$$?; \
	p=$$(grep -cE '^\s+Passed ' $$log); f=$$(grep -cE '^\s+Failed ' $$log); s=$$(grep -cE '^\s+Skipped ' $$log); \
	echo "Kernel tests on OpenCL devices: $$(grep -cE '^\s+Passed .*BackendOpsTests\.OpenCl\(' $$log) passed"; \
	echo "$$p passed, $$f failed, $$s skipped"; rm -f $$log; exit $$rc

# Self-contained single-file build for machines without the .NET SDK (the GPU machine).
publish:
	$(DOTNET) publish src/GpuSearch.Cli -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o publish/cli
	$(DOTNET) publish bench/GpuSearch.Bench -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o publish/bench
	$(DOTNET) publish tests/GpuSearch.Tests -c Release -r linux-x64 --self-contained -o publish/tests
