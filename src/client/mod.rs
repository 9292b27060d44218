//! The async client of the FoxAPI task endpoint.
