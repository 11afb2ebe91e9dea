# run_tests.py MODULE [CLASS]: runs the test_* functions of MODULE (or the
# test_* methods of MODULE.CLASS, each given a `step` that imports
# step_03_hpy_final, the fixture of HPy's porting example) without pytest,
# which is not needed for these assertions. Prints "N passed, N failed".
import os
import sys
import traceback
import types

sys.modules.setdefault("pytest", types.ModuleType("pytest"))
# The tests import modules from the working directory, as under pytest.
sys.path.insert(0, os.getcwd())
mod = __import__(sys.argv[1])


class Step:
    name = "step_03_hpy_final"

    def import_step(self):
        return __import__(self.name)


if len(sys.argv) > 2:
    case = getattr(mod, sys.argv[2])()
    skip = set(sys.argv[3:])
    tests = [(n, lambda f=getattr(case, n): f(Step())) for n in sorted(dir(case))
             if n.startswith("test_") and n not in skip]
else:
    tests = [(n, getattr(mod, n)) for n in sorted(dir(mod)) if n.startswith("test_")]

passed = failed = 0
for name, test in tests:
    try:
        test()
        passed += 1
    except Exception:
        failed += 1
        print("FAIL", name)
        traceback.print_exc()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
