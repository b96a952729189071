.PHONY: run test package screenshots
run:
	scripts/run
test:
	scripts/test
package:
	packaging/build-linux
screenshots:
	scripts/screenshots
