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

# Self-contained builds for machines without the .NET SDK (the GPU machine): the CLI, the bench harness and the
# test runner (bench/gpu/TestRunner: xunit in-process, since vstest needs the SDK), then publish/gpu.tar.xz, the three
# with identical files hard-linked once, no model weights (the GPU check exports its own) and no Playwright driver,
# small enough to carry to the GPU machine (bench/gpu/run.sh unpacks it).
PUBLISH_FLAGS := -c Release -r linux-x64 --self-contained -nologo -v q
publish:
	$(DOTNET) publish src/GpuSearch.Cli $(PUBLISH_FLAGS) -o publish/cli
	$(DOTNET) publish bench/GpuSearch.Bench $(PUBLISH_FLAGS) -o publish/bench
	$(DOTNET) publish bench/gpu/TestRunner $(PUBLISH_FLAGS) -o publish/tests
	bash bench/gpu/bundle.sh publish

# NuGet packages: the library GpuSearchEngine (default model inside), its VectorData/AI adapters GpuSearchEngine.VectorData and the .NET tool GpuSearch.Cli (+ .snupkg symbols).
pack:
	$(DOTNET) pack GpuSearchEngine.sln -c Release -nologo -o out/packages
