//! Wire formats: lenient decoding and the encodings Bitrix24 expects.
//!
//! The portal is loose about types: IDs come as numbers or strings, booleans as `"Y"`/`"N"`,
//! `0`/`1` or `true`/`false`, empty objects as `[]` (PHP's empty array), arrays as objects
//! keyed `"0"`, `"1"`, ...
//! and absent values as `""`. [`Decode`] accepts all of these; generated structs decode field by field
//! through [`Fields`] and write themselves through [`ObjectWriter`].
//!
//! For requests, [`Yn`], [`Int01`] and [`NumberAsString`] (or, as `serialize_with`
//! functions, [`yn`], [`int01`] and [`number_as_string`]) write booleans and numbers the
//! way a method documents them, and [`serialize_enum`] / [`deserialize_enum`] map
//! [`WireEnum`] types to their wire text or number.
//!
//! Your own `#[derive(Deserialize)]` types get the same leniency without attributes:
//! [`from_value`] (or [`Client::call_as`](crate::Client::call_as)) decodes them through a
//! deserializer that hands each visitor the shape it asks for; [`Lenient<T>`] makes such a
//! type a [`Method::Output`](crate::Method::Output); [`lenient`] is the
//! `deserialize_with` for a single field.

mod decode;
mod encode;
mod enums;
mod lenient;
mod object;
pub mod query;
pub(crate) mod time;
mod undocumented;

pub use decode::{Decode, decode};
pub use encode::{BoolStyle, EncodeBool, EncodeNumber, int01, number_as_string, yn};
pub use enums::{WireEnum, deserialize_enum, serialize_enum};
pub use lenient::{Lenient, from_value, lenient};
pub(crate) use object::field_path;
pub use object::{Fields, Int01, NumberAsString, ObjectWriter, Yn};
pub use undocumented::{Undocumented, extra_keys, extra_keys_outside};
