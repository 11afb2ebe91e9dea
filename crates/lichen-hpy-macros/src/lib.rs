//! `#[hpymodule]`: turns a Rust module into an HPy 0.9 universal extension.
//!
//! The attribute reads the whole module at once (HPy's definitions are
//! static tables: a module's functions and a class's methods must be known
//! when the module definition is built) and generates, next to the user's
//! items, one definition per function, method, getter/setter and special
//! method, the type specs, the module's exec slot and the four symbols a
//! universal binary exports. Which slot and signature a special method
//! gets comes from lichen-abi's slot table, the declaration the runtime
//! uses too.
#![deny(unsafe_op_in_unsafe_fn)]

mod callable;
mod class;
mod module;
mod signatures;
mod sigspec;

use proc_macro::TokenStream;

/// Makes an HPy extension module of a Rust module; see the lichen-hpy docs.
#[proc_macro_attribute]
pub fn hpymodule(attr: TokenStream, item: TokenStream) -> TokenStream {
    match module::expand(attr.into(), item.into()) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}
