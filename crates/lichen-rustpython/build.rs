// The `hpy` package in python/ is frozen into the binary by a macro that
// Cargo cannot see through: rebuild when one of its files changes.
fn main() {
    println!("cargo:rerun-if-changed=python");
}
