# The two README commands: `make demo` (the main job) and `make test` (every test). Both set up first.
SHELL := /bin/bash
DOTNET ?= dotnet
CLI := src/GpuSearch.Cli/bin/Release/net10.0/gpusearch
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

.PHONY: setup build demo test publish pack
setup:
	@bash scripts/setup.sh

build: setup
	$(DOTNET) build GpuSearchEngine.sln -c Release -nologo -v q

DEMO ?= $(HOME)/.cache/gpusearch/demo
PHOTOS := $(DEMO)/photos

# Index real photos (Debian's opencv-doc samples) with the default model (restored from NuGet by the build),
# print neighbours, write a contact sheet. The optional nsfwjs model: bash scripts/fetch-default-model.sh.
demo: build
	@bash scripts/fetch-demo-photos.sh
	$(CLI) devices
	$(CLI) index $(PHOTOS) --db $(DEMO)/index
	$(CLI) query $(PHOTOS)/aloeL.jpg $(PHOTOS)/leuvenA.jpg $(PHOTOS)/graf1.png $(PHOTOS)/Blender_Suzanne1.jpg $(PHOTOS)/left01.jpg --db $(DEMO)/index -k 4
	@mkdir -p out
	$(CLI) query $(PHOTOS) --db $(DEMO)/index -k 6 --format html --out out/demo-results.html

test: setup
	@bash scripts/fetch-demo-photos.sh || echo "demo photos unavailable: tests that need them skip with the reason"
	@set -o pipefail; log=$$(mktemp); \
	$(DOTNET) test GpuSearchEngine.sln -c Release -nologo --logger "console;verbosity=normal" 2>&1 | tee $$log; rc=$$?; \
	p=$$(grep -cE '^\s+Passed ' $$log); f=$$(grep -cE '^\s+Failed ' $$log); s=$$(grep -cE '^\s+Skipped ' $$log); \
	echo "Backend-ops kernel cases on OpenCL devices: $$(grep -cE '^\s+Passed .*\(device: "opencl' $$log) passed, $$(grep -cE '^\s+Failed .*\(device: "opencl' $$log) failed"; \
	echo "$$p passed, $$f failed, $$s skipped"; rm -f $$log; exit $$rc

# Self-contained single-file build for machines without the .NET SDK (the GPU machine).
publish:
	$(DOTNET) publish src/GpuSearch.Cli -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o publish/cli
	$(DOTNET) publish bench/GpuSearch.Bench -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o publish/bench
	$(DOTNET) publish tests/GpuSearch.Tests -c Release -r linux-x64 --self-contained -o publish/tests

# NuGet packages: the library GpuSearchEngine (default model inside), its VectorData/AI adapters GpuSearchEngine.VectorData and the .NET tool GpuSearch.Cli (+ .snupkg symbols).
pack:
	$(DOTNET) pack GpuSearchEngine.sln -c Release -nologo -o out/packages
