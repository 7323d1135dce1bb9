//! The wire contract between the vote app, the workers and the tools that watch them: every
//! Redis key, the message and its limits, the dead-letter format, and the Lua scripts that
//! move messages.
//!
//! A vote's way through Redis: the vote app sends [`VoteMessage::head`] through
//! [`enqueue`] ([`scripts::ENQUEUE`] numbers it and appends it to [`QUEUE`]); a worker's
//! [`take`] ([`scripts::TAKE`]) moves a batch into its processing list ([`processing_key`]);
//! the worker parses each message ([`VoteMessage::parse`]), commits the batch to PostgreSQL,
//! then [`ack`] ([`scripts::ACK`]) empties its list and files the rejects in [`DEAD_LETTERS`]
//! as [`DeadLetter`]s. A batch not acknowledged goes back to the queue ([`hand_back`], or
//! [`recover`] once its owner's heartbeat ([`heartbeat_key`]) is gone). [`depth`] counts what
//! waits in the queue, [`not_yet_committed`] what is in the queue or a processing list.
//!
//! The keys, the message and the dead letters are plain data; the calls need the `redis`
//! feature.

#[cfg(feature = "redis")]
mod commands;
mod dead_letter;
mod keys;
mod message;
pub mod scripts;

#[cfg(feature = "redis")]
pub use commands::{
    TakeLimits, Taken, ack, depth, enqueue, hand_back, not_yet_committed, recover, take,
};
pub use dead_letter::{DeadLetter, SHOWN_BYTES};
pub use keys::{
    DEAD_LETTERS, HEARTBEAT_PREFIX, PROCESSING_PREFIX, QUEUE, VOTE_SEQ_KEY, heartbeat_key,
    processing_key, processing_owner, processing_pattern,
};
pub use message::{Choice, MAX_MESSAGE_BYTES, MAX_VOTER_ID_CHARS, Rejection, VoteMessage};
