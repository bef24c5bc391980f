# Entry points of the fork. Each target runs one script of tools/; every
# script is idempotent, so any target may be run again at any time.
#
#   make demo     set up, build, boot a guest under the default limit, show it
#   make check    set up, build, run upstream's suite and the system tests
#                 (on this host, then in the cgroup v2 lab VM)
#   make lab      the system tests in the cgroup v2 lab VM alone, without and
#                 with systemd as PID 1
#   make check-series  build and test every patch of the series on its own,
#                 on pristine upstream
#   make deb      Debian's packaging with the series: packages in build/deb/
#   make check-deb  install them over Debian's libvirt, use them, remove them,
#                 in the lab VM (the host's packages are never touched)
#   make install  build for /usr, /etc, /var, /run and stage it in DESTDIR
#   make export   write the commits of build/libvirt back to patches/

.PHONY: all demo check lab check-series deb check-deb build prepare fetch deps install export clean distclean

all: check

demo: build
	tools/demo

check: build
	tools/check

lab: build
	tools/lab

check-series: fetch
	tools/check-series

deb: fetch
	tools/deb

check-deb: deb
	tests/deb/run

build: prepare
	tools/build

prepare: fetch
	tools/prepare

fetch: deps
	tools/fetch

deps:
	tools/deps

install: $(if $(DESTDIR),prepare)
	tools/install

export:
	tools/export

# Stop the private daemon and its guests (and a demo or test run of this
# clone that uses them) before their files go; keep the verified downloads
# (build/dl), which distclean removes too, and a prepared tree with work
# that is not exported
clean:
	tools/clean

distclean:
	tools/clean --all
