//! Everything the bindings offer, for tests/rust_authors/test_rustext.py.

use lichen_hpy::hpymodule;

/// lichen-hpy's test extension.
#[hpymodule]
pub mod rustext {
    use lichen_hpy::prelude::*;
    use std::collections::HashMap;

    #[pyfunction]
    fn noargs() -> &'static str {
        "noargs"
    }

    #[pyfunction]
    fn one<'py>(x: &Obj<'py>) -> Obj<'py> {
        x.clone()
    }

    #[pyfunction]
    #[hpy(signature = (a, b = 10, *args, c = 3, **kwargs))]
    fn signature<'py>(py: Python<'py>, a: i64, b: i64, args: &Obj<'py>, c: i64, kwargs: &Obj<'py>) -> PyResult<Obj<'py>> {
        let total = a + b + c;
        (total, args.clone(), kwargs.clone()).into_py(py)
    }

    #[pyfunction]
    fn optional(a: i64, b: Option<i64>) -> i64 {
        a + b.unwrap_or(-1)
    }

    #[pyfunction]
    #[hpy(signature = (x, /, y))]
    fn posonly(x: i64, y: i64) -> i64 {
        x * 10 + y
    }

    #[pyfunction]
    // one parameter per integer width is what the test is about
    #[allow(clippy::too_many_arguments)]
    fn widths(a: i8, b: u8, c: i16, d: u16, e: i32, f: u32, g: i64, h: u64) -> (i64, u64) {
        (a as i64 + c as i64 + e as i64 + g, b as u64 + d as u64 + f as u64 + h)
    }

    #[pyfunction]
    fn roundtrip_str(s: String) -> String {
        s
    }

    #[pyfunction]
    fn roundtrip_bytes(b: Bytes) -> Bytes {
        b
    }

    #[pyfunction]
    fn roundtrip_float(x: f64) -> f64 {
        x
    }

    #[pyfunction]
    fn roundtrip_bool(x: bool) -> bool {
        x
    }

    #[pyfunction]
    fn sum_list(v: Vec<i64>) -> i64 {
        v.iter().sum()
    }

    #[pyfunction]
    fn pairs(v: Vec<(String, f64)>) -> HashMap<String, f64> {
        v.into_iter().collect()
    }

    #[pyfunction]
    fn dict_keys_sorted(d: HashMap<String, i64>) -> Vec<String> {
        let mut k: Vec<String> = d.into_keys().collect();
        k.sort();
        k
    }

    #[pyfunction]
    fn maybe(x: Option<i64>) -> Option<i64> {
        x.map(|v| v * 2)
    }

    #[pyfunction]
    fn raise_value_error(msg: String) -> PyResult<()> {
        Err(PyValueError::new_err(msg))
    }

    #[pyfunction]
    fn raise_custom() -> PyResult<()> {
        Err(CustomError::new_err("custom"))
    }

    /// Propagates the error a failed Python call set.
    #[pyfunction]
    fn call<'py>(f: &Obj<'py>, arg: &Obj<'py>) -> PyResult<Obj<'py>> {
        f.call(&[arg])
    }

    /// Handles a failed Python call and goes on.
    #[pyfunction]
    fn call_or_default<'py>(py: Python<'py>, f: &Obj<'py>) -> PyResult<Obj<'py>> {
        match f.call(&[]) {
            Ok(v) => Ok(v),
            Err(e) if e.matches(py, PyZeroDivisionError::type_object()) => {
                e.clear(py);
                "default".into_py(py)
            }
            Err(e) => Err(e),
        }
    }

    #[pyfunction]
    fn call_kw<'py>(f: &Obj<'py>, a: &Obj<'py>, b: &Obj<'py>) -> PyResult<Obj<'py>> {
        f.call_kw(&[a], &[("b", b)])
    }

    #[pyfunction]
    fn panics(msg: String) -> i64 {
        panic!("{}", msg)
    }

    /// Leaks a handle on purpose (safe Rust can forget an object): debug
    /// mode reports it.
    #[pyfunction]
    fn leak(py: Python<'_>) -> PyResult<()> {
        let obj = "leaked".into_py(py)?;
        std::mem::forget(obj);
        Ok(())
    }

    #[pyfunction]
    fn released_sum(py: Python<'_>, n: u64) -> u64 {
        py.allow_threads(move || (0..n).sum())
    }

    #[pyfunction]
    fn import_attr<'py>(py: Python<'py>, module: String, attr: String) -> PyResult<Obj<'py>> {
        py.import(&module)?.getattr(&attr)
    }

    #[pyexception(base = PyValueError)]
    /// A custom error.
    pub struct CustomError;

    /// Everything a class can have.
    #[pyclass(subclass)]
    pub struct Counter {
        #[hpy(get, set)]
        count: i64,
        #[hpy(get)]
        label: String,
        log: Field,
    }

    #[pymethods]
    impl Counter {
        #[new]
        #[hpy(signature = (count = 0, label = String::from("c")))]
        fn new(count: i64, label: String) -> PyResult<Counter> {
            if count < 0 {
                return Err(PyValueError::new_err("negative count"));
            }
            Ok(Counter { count, label, log: Field::new() })
        }

        fn incr(&mut self) -> i64 {
            self.count += 1;
            self.count
        }

        fn add(&mut self, n: i64) -> i64 {
            self.count += n;
            self.count
        }

        #[hpy(signature = (n = 1, *, twice = false))]
        fn step(&mut self, n: i64, twice: bool) -> i64 {
            self.count += if twice { 2 * n } else { n };
            self.count
        }

        /// Calls back into Python while borrowed: the callback cannot
        /// borrow mutably.
        fn with_callback<'py>(&self, f: &Obj<'py>, slf: &Obj<'py>) -> PyResult<Obj<'py>> {
            f.call(&[slf])
        }

        #[getter]
        fn double(&self) -> i64 {
            self.count * 2
        }

        #[setter]
        fn set_double(&mut self, v: i64) -> PyResult<()> {
            if v % 2 != 0 {
                return Err(PyValueError::new_err("odd"));
            }
            self.count = v / 2;
            Ok(())
        }

        #[getter]
        fn log<'py>(slf: PyRef<'_, 'py, Self>) -> Option<Obj<'py>> {
            slf.log.get(&slf)
        }

        #[setter]
        fn set_log(mut slf: PyRefMut<'_, '_, Self>, v: &Obj<'_>) {
            slf.set_field(|c| &mut c.log, Some(v));
        }

        fn __repr__(&self) -> String {
            format!("Counter({}, {:?})", self.count, self.label)
        }

        fn __str__(&self) -> String {
            format!("{}={}", self.label, self.count)
        }

        fn __hash__(&self) -> i64 {
            self.count
        }

        fn __bool__(&self) -> bool {
            self.count != 0
        }

        fn __len__(&self) -> usize {
            self.count.max(0) as usize
        }

        fn __contains__(&self, v: i64) -> bool {
            (0..self.count).contains(&v)
        }

        fn __getitem__(&self, i: i64) -> PyResult<i64> {
            if (0..self.count).contains(&i) { Ok(i * i) } else { Err(PyIndexError::new_err("out of range")) }
        }

        fn __richcmp__(&self, other: &Obj<'_>, op: CompareOp) -> PyResult<bool> {
            let other = other.borrow::<Counter>()?;
            Ok(op.matches(self.count.cmp(&other.count)))
        }

        fn __add__(&self, n: i64) -> Counter {
            Counter { count: self.count + n, label: self.label.clone(), log: Field::new() }
        }

        fn __radd__(&self, n: i64) -> Counter {
            Counter { count: n + self.count, label: format!("r{}", self.label), log: Field::new() }
        }

        /// A both-sided slot whose result is no instance of the class.
        fn __sub__(&self, n: i64) -> i64 {
            self.count - n
        }

        /// A both-sided slot returning a `PyResult` of the class.
        fn __mul__(&self, n: i64) -> PyResult<Counter> {
            if n < 0 {
                return Err(PyValueError::new_err("negative factor"));
            }
            Ok(Counter { count: self.count * n, label: self.label.clone(), log: Field::new() })
        }

        fn __iadd__(&mut self, n: i64) {
            self.count += n;
        }

        fn __neg__(&self) -> Counter {
            Counter { count: -self.count, label: self.label.clone(), log: Field::new() }
        }

        fn __int__(&self) -> i64 {
            self.count
        }

        fn __call__(&self, a: i64, b: Option<i64>) -> i64 {
            self.count + a + b.unwrap_or(0)
        }
    }

    /// Comparisons one by one; only `==` and `<` are defined.
    #[pyclass]
    pub struct Version {
        v: (u32, u32),
    }

    #[pymethods]
    impl Version {
        #[new]
        fn new(major: u32, minor: u32) -> Version {
            Version { v: (major, minor) }
        }

        fn __eq__(&self, other: &Obj<'_>) -> PyResult<bool> {
            Ok(self.v == other.borrow::<Version>()?.v)
        }

        fn __lt__(&self, other: &Obj<'_>) -> PyResult<bool> {
            Ok(self.v < other.borrow::<Version>()?.v)
        }
    }

    /// A class without a constructor.
    #[pyclass]
    pub struct Opaque {
        n: i64,
    }

    #[pymethods]
    impl Opaque {
        fn get(&self) -> i64 {
            self.n
        }
    }

    #[pyfunction]
    fn make_opaque(n: i64) -> Opaque {
        Opaque { n }
    }

    /// The number of objects whose payload was dropped.
    static DROPS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[pyclass]
    pub struct Tracked {}

    impl Drop for Tracked {
        fn drop(&mut self) {
            DROPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[pymethods]
    impl Tracked {
        #[new]
        fn new() -> Tracked {
            Tracked {}
        }
    }

    #[pyfunction]
    fn drops() -> usize {
        DROPS.load(std::sync::atomic::Ordering::SeqCst)
    }

    static CACHE: Global = Global::new();

    #[pyfunction]
    fn cache_set(py: Python<'_>, v: &Obj<'_>) {
        CACHE.set(py, v);
    }

    #[pyfunction]
    fn cache_get(py: Python<'_>) -> Option<Obj<'_>> {
        CACHE.get(py)
    }

    /// Iterable through the documented workaround: HPy 0.9 has no tp_iter
    /// slot, so `iter` is assigned to `__iter__` from Python's side in the
    /// module's init (a heap type updates its slot on assignment).
    #[pyclass]
    pub struct Seq {
        items: Vec<i64>,
    }

    #[pymethods]
    impl Seq {
        #[new]
        fn new(items: Vec<i64>) -> Seq {
            Seq { items }
        }

        fn iter<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
            let list = self.items.clone().into_py(py)?;
            py.builtin("iter")?.call(&[&list])
        }
    }

    #[pymodule_init]
    fn init(m: &Obj<'_>) -> PyResult<()> {
        let seq = m.getattr("Seq")?;
        seq.setattr("__iter__", seq.getattr("iter")?)?;
        m.setattr("ANSWER", 42)?;
        m.setattr("GREETING", "hello")
    }
}
