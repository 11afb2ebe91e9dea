//! A structured fuzzer over the checks of module definitions and type specs
//! (`spec::module_spec`, `type_spec::type_spec` and what hosts ask of a
//! checked spec): malformed definitions, slots, members, getsets, methods,
//! params, shapes, sizes and flags, built as real C structures (so every
//! pointer is valid or NULL, as an extension's would be), must give a result
//! or a precise error, never a panic.
//!
//! Bounded: `LICHEN_FUZZ_CASES` cases (default 200000, about 4 s in a debug build) or
//! `LICHEN_FUZZ_SECONDS` (default 20), whichever ends first, from the seed
//! `LICHEN_FUZZ_SEED` (default fixed, so that `make test` is reproducible;
//! a failure prints the seed and case to replay).

use core::ffi::{c_char, c_int, c_void, CStr};
use lichen_abi::*;
use lichen_core::spec::module_spec;
use lichen_core::type_spec::type_spec;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// xorshift64*: small, deterministic, good enough to pick structures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    /// A value near the interesting edges of a C int: valid ones, zero,
    /// negative, huge.
    fn int(&mut self, valid: &[c_int]) -> c_int {
        match self.below(6) {
            0 => 0,
            1 => -1 - self.below(1000) as c_int,
            2 => c_int::MAX - self.below(3) as c_int,
            3 => self.below(3000) as c_int,
            _ if !valid.is_empty() => valid[self.below(valid.len() as u64) as usize],
            _ => 1,
        }
    }
}

unsafe extern "C" fn some_impl() -> *mut c_void {
    core::ptr::null_mut()
}
unsafe extern "C" fn some_trampoline() {}

const NAMES: [&CStr; 9] = [
    c"m.T",
    c"T",
    c"",
    c"__vectorcalloffset__",
    c"__new__",
    c"pkg.mod.Type",
    c"x",
    c"\xc3\xa9t\xc3\xa9",
    c"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z",
];

/// Everything a case's pointers point to, kept alive for the case.
#[derive(Default)]
struct Case {
    /// Filled before any pointer into it is taken, never moved after.
    defs: Vec<HPyDef>,
    def_ptrs: Vec<*mut HPyDef>,
    params: Vec<HPyType_SpecParam>,
    log: Vec<String>,
}

impl Case {
    fn name(&mut self, rng: &mut Rng) -> *const c_char {
        if rng.chance(12) {
            return core::ptr::null();
        }
        NAMES[rng.below(NAMES.len() as u64) as usize].as_ptr()
    }

    fn func(&mut self, rng: &mut Rng) -> HPyCFunction {
        if rng.chance(6) {
            None
        } else {
            Some(some_impl)
        }
    }

    fn trampoline(&mut self, rng: &mut Rng) -> CpyFunction {
        if rng.chance(6) {
            None
        } else {
            Some(some_trampoline)
        }
    }

    fn def(&mut self, rng: &mut Rng) -> HPyDef {
        let slots: Vec<c_int> = HPySlot_Slot::ALL.iter().map(|s| s.0).collect();
        let sigs: Vec<c_int> = (1..=39).collect();
        let fields: Vec<c_int> = (0..=20).collect();
        let kind = HPyDef_Kind(rng.int(&[1, 2, 3, 4]));
        self.log.push(format!("def kind {}", kind.0));
        let u = match kind.0.rem_euclid(4) {
            1 => HPyDefUnion {
                slot: HPySlot {
                    slot: HPySlot_Slot(rng.int(&slots)),
                    impl_: self.func(rng),
                    cpy_trampoline: self.trampoline(rng),
                },
            },
            2 => HPyDefUnion {
                meth: HPyMeth {
                    name: self.name(rng),
                    impl_: self.func(rng),
                    cpy_trampoline: self.trampoline(rng),
                    signature: HPyFunc_Signature(rng.int(&sigs)),
                    doc: self.name(rng),
                },
            },
            3 => HPyDefUnion {
                member: HPyMember {
                    name: self.name(rng),
                    type_: HPyMember_FieldType(rng.int(&fields)),
                    offset: rng.int(&[0, 8, 16]) as HPy_ssize_t,
                    readonly: rng.int(&[0, 1]),
                    doc: self.name(rng),
                },
            },
            _ => HPyDefUnion {
                getset: HPyGetSet {
                    name: self.name(rng),
                    getter_impl: self.func(rng),
                    setter_impl: self.func(rng),
                    getter_cpy_trampoline: self.trampoline(rng),
                    setter_cpy_trampoline: self.trampoline(rng),
                    doc: self.name(rng),
                    closure: core::ptr::null_mut(),
                },
            },
        };
        HPyDef { kind, u }
    }

    /// A NULL-terminated `HPyDef *[]`, or NULL.
    fn defines(&mut self, rng: &mut Rng) -> *mut *mut HPyDef {
        if rng.chance(8) {
            return core::ptr::null_mut();
        }
        let n = rng.below(12);
        for _ in 0..n {
            let d = self.def(rng);
            self.defs.push(d);
        }
        self.def_ptrs = self.defs.iter_mut().map(|d| d as *mut HPyDef).collect();
        self.def_ptrs.push(core::ptr::null_mut());
        self.def_ptrs.as_mut_ptr()
    }

    /// A kind-0-terminated `HPyType_SpecParam[]`, or NULL.
    fn params(&mut self, rng: &mut Rng) -> *const HPyType_SpecParam {
        if rng.chance(3) {
            return core::ptr::null();
        }
        for _ in 0..rng.below(4) {
            // Handles are only stored by the check, never dereferenced.
            let object = HPy { _i: rng.below(3) as isize * 0x1000 };
            self.params.push(HPyType_SpecParam { kind: HPyType_SpecParam_Kind(rng.int(&[1, 2, 3])), object });
        }
        self.params.push(HPyType_SpecParam { kind: HPyType_SpecParam_Kind(0), object: HPy::NULL });
        self.params.as_ptr()
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn malformed_module_defs_and_type_specs_give_errors_not_panics() {
    let seed = env_u64("LICHEN_FUZZ_SEED", 0x5EED_1C4E_u64);
    let cases = env_u64("LICHEN_FUZZ_CASES", 200_000);
    let budget = Duration::from_secs(env_u64("LICHEN_FUZZ_SECONDS", 20));
    let mut rng = Rng(seed | 1);
    let start = Instant::now();
    let (mut ok, mut errors, mut run) = (0u64, 0u64, 0u64);
    // Panics are what this test looks for: keep the default hook's report
    // out of the output while probing, and say which case panicked instead.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for case_no in 0..cases {
        if start.elapsed() > budget {
            break;
        }
        run += 1;
        let mut case = Case::default();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if rng.chance(2) {
                let defines = case.defines(&mut rng);
                let def = HPyModuleDef {
                    doc: case.name(&mut rng),
                    size: rng.int(&[0, -1, 16]) as HPy_ssize_t,
                    legacy_methods: core::ptr::null_mut(),
                    defines,
                    globals: core::ptr::null_mut(),
                };
                // SAFETY: every pointer in `def` is NULL or points into `case`.
                match unsafe { module_spec(&def) } {
                    Ok(_) => true,
                    Err(e) => {
                        assert!(!e.message.is_empty(), "an error without a message");
                        false
                    }
                }
            } else {
                let defines = case.defines(&mut rng);
                let spec = HPyType_Spec {
                    name: case.name(&mut rng),
                    basicsize: rng.int(&[0, 8, 16, 24]),
                    itemsize: rng.int(&[0, 8]),
                    flags: if rng.chance(2) { tpflags::DEFAULT } else { rng.next() as _ },
                    builtin_shape: HPyType_BuiltinShape(rng.int(&[-1, 0, 1, 2, 3, 4, 5, 6])),
                    legacy_slots: core::ptr::null_mut(),
                    defines,
                    doc: case.name(&mut rng),
                };
                let params = case.params(&mut rng);
                // SAFETY: every pointer is NULL or points into `case`.
                match unsafe { type_spec(&spec, params) } {
                    Ok(t) => {
                        // What the hosts ask of a checked spec.
                        let _ = t.call_protocol();
                        let _ = t.short_name();
                        let _ = t.needs_dealloc();
                        true
                    }
                    Err(e) => {
                        assert!(!e.message.is_empty(), "an error without a message");
                        false
                    }
                }
            }
        }));
        match outcome {
            Ok(true) => ok += 1,
            Ok(false) => errors += 1,
            Err(p) => {
                std::panic::set_hook(hook);
                let what = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!(
                    "case {case_no} (LICHEN_FUZZ_SEED={seed}) panicked: {what}\n  built: {:?}",
                    case.log
                );
            }
        }
    }
    std::panic::set_hook(hook);
    println!("fuzzed {run} module definitions and type specs in {:?}: {ok} accepted, {errors} refused", start.elapsed());
    assert!(run > 0 && ok > 0 && errors > 0, "the fuzzer should reach both outcomes: {ok} accepted, {errors} refused");
}
