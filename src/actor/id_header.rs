//! The record id header of a record read, found by librdkafka: this runs for every record a
//! consumer reads, and rdkafka's own iteration costs more than the lookup (it asks for the
//! count, then copies out each header and checks its name as UTF-8 before comparing it).

use std::ffi::{CStr, c_void};

use rdkafka::bindings::{rd_kafka_header_get, rd_kafka_headers_t, rd_kafka_resp_err_t};
use rdkafka::message::BorrowedHeaders;

/// The header's name as librdkafka compares it; `RECORD_ID_HEADER` is made from it.
pub(super) const NAME: &CStr = c"ks-id";

/// The value of the first id header in `headers`; `None` without one, or when it has no value.
pub fn id_header(headers: &BorrowedHeaders) -> Option<&[u8]> {
    let native = std::ptr::from_ref(headers).cast::<rd_kafka_headers_t>();
    let mut value: *const c_void = std::ptr::null();
    let mut size = 0;
    // SAFETY: a `&BorrowedHeaders` is rdkafka's name for a live `rd_kafka_headers_t` (rdkafka
    // casts the one pointer into the other both ways); librdkafka only reads the list here, and
    // on success points `value` at the header's bytes.
    let found = unsafe { rd_kafka_header_get(native, 0, NAME.as_ptr(), &mut value, &mut size) };
    if found != rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || value.is_null() {
        return None;
    }
    // SAFETY: `value` points at `size` bytes that the header list owns, and the list lives at
    // least as long as `headers` is borrowed.
    Some(unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) })
}

#[cfg(test)]
mod tests;
