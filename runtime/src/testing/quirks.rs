//! Shapes recorded from real portals that differ from what the docs describe: one switch
//! per difference, all on in [`Quirks::recorded_portal`].

/// Differences between what the docs describe (the fake portal's default) and what real
/// portals were recorded to send; set with
/// [`FakePortalBuilder::quirks`](super::FakePortalBuilder::quirks).
///
/// The client must work against each switch alone and all of them together
/// ([`Quirks::recorded_portal`]); `Quirks::default()` is the documented shape.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub struct Quirks {
    /// `time` carries neither `operating` nor `operating_reset_at` (6 of 27 recordings).
    /// The portal still counts and enforces operating time.
    pub no_operating: bool,
    /// `time` carries `operating` but no `operating_reset_at` (12 of 27 recordings).
    pub no_operating_reset_at: bool,
    /// The `time` of a `batch` request itself carries `operating` (and
    /// `operating_reset_at`): the largest value among its commands (12 of 16 batch
    /// recordings). Off: the batch's own `time` has no operating keys.
    pub batch_operating: bool,
    /// In a `batch`, a method's operating time is reported on its first command only and
    /// as 0 on its later commands (recorded); off: every command reports the running
    /// total.
    pub operating_on_first_command_only: bool,
    /// A full page that reaches the total still carries `next` (a recorded page answered
    /// `total: 50, next: 50`: one more request follows and returns no rows).
    pub next_at_total: bool,
    /// The portal's UTC offset in seconds, written in `date_start` / `date_finish` (real
    /// portals write their own, e.g. `+03:00` = 10800); default 0 (`+00:00`).
    pub utc_offset_secs: i32,
    /// `processing` as a fraction of `duration` (real values are smaller than the
    /// duration); `None` = equal to it.
    pub processing_ratio: Option<f64>,
}

impl Quirks {
    /// Every recorded difference at once: no `operating_reset_at`, operating time on a
    /// batch's first command per method and on the batch itself, `next` on the page that
    /// reaches the total, dates at `+03:00`, `processing` a third of `duration`.
    pub fn recorded_portal() -> Self {
        Quirks {
            no_operating: false,
            no_operating_reset_at: true,
            batch_operating: true,
            operating_on_first_command_only: true,
            next_at_total: true,
            utc_offset_secs: 3 * 3600,
            processing_ratio: Some(1.0 / 3.0),
        }
    }

    /// Each switch alone (for tests that run against every recorded difference), with
    /// its name.
    pub fn each() -> Vec<(&'static str, Quirks)> {
        let none = Quirks::default();
        vec![
            (
                "no_operating",
                Quirks {
                    no_operating: true,
                    ..none
                },
            ),
            (
                "no_operating_reset_at",
                Quirks {
                    no_operating_reset_at: true,
                    ..none
                },
            ),
            (
                "batch_operating",
                Quirks {
                    batch_operating: true,
                    ..none
                },
            ),
            (
                "operating_on_first_command_only",
                Quirks {
                    operating_on_first_command_only: true,
                    ..none
                },
            ),
            (
                "next_at_total",
                Quirks {
                    next_at_total: true,
                    ..none
                },
            ),
            (
                "utc_offset_secs",
                Quirks {
                    utc_offset_secs: 3 * 3600,
                    ..none
                },
            ),
            (
                "processing_ratio",
                Quirks {
                    processing_ratio: Some(1.0 / 3.0),
                    ..none
                },
            ),
            ("recorded_portal", Quirks::recorded_portal()),
        ]
    }
}

/// Operating time of one 50-row list page on a recorded portal, in seconds: the largest
/// recorded value (`crm.stagehistory.list` and `tasks.task.list` pages cost 0.45–1.2 s);
/// [`FakePortalBuilder::recorded_operating_costs`](super::FakePortalBuilder::recorded_operating_costs)
/// makes it every method's default cost.
pub const RECORDED_PAGE_COST: f64 = 1.2;
