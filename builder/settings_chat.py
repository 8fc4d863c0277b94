"""Settings of the chat sidecar (the `chat:` section of config.yml).

Secrets never live here: they come from environment variables (see chat_server/settings.py).
"""

from __future__ import annotations

from builder.setting_kinds import (
    BOOL,
    DATES,
    STRING,
    STRINGS,
    TIME,
    TIMEZONE,
    URL,
    WEEKDAYS,
    Setting,
    integer,
)

CHAT_SETTINGS: tuple[Setting, ...] = (
    Setting("chat.url", URL, "",
            "Public URL of the chat sidecar, e.g. 'https://chat.example.com'. When set, every "
            "page gets the chat widget and article ratings; empty means no chat."),
    Setting("chat.timezone", TIMEZONE, "Europe/Moscow", "Time zone of the business hours."),
    Setting("chat.hours_start", TIME, "10:00", "Start of business hours."),
    Setting("chat.hours_end", TIME, "20:00", "End of business hours."),
    Setting("chat.workdays", WEEKDAYS, (1, 2, 3, 4, 5, 6, 7),
            "Working days, 1 = Monday .. 7 = Sunday."),
    Setting("chat.closed_dates", DATES, ("01-01", "01-02"),
            "Days off: 'MM-DD' every year or 'YYYY-MM-DD' once."),
    Setting("chat.reply_minutes", integer(1, 10080), 15,
            "The promised time to a first answer, shown in the widget."),
    Setting("chat.default_group", STRING, "support",
            "Operator group that gets conversations with no author to go to."),
    Setting("chat.data_dir", STRING, "data",
            "Folder (relative to config.yml) for the SQLite database and attachments."),
    Setting("chat.allowed_origins", STRINGS, (),
            "Extra origins (scheme://host[:port]) allowed to open the widget's websocket and "
            "post ratings; the origin of site.base_url and the sidecar's own are always allowed."),
    Setting("chat.identity_required", BOOL, False,
            "Only accept readers identified by user_id + user_hash (HMAC-SHA256 with the "
            "CHAT_IDENTITY_SECRET environment variable); anonymous readers are refused."),
    Setting("chat.email_from", STRING, "",
            "Sender address of offline replies by email; empty means no email is sent."),
    Setting("chat.attachments_reader_mib_per_day", integer(1, 100_000), 50,
            "MiB of attachments one reader may upload in 24 hours."),
    Setting("chat.attachments_address_mib_per_day", integer(1, 1_000_000), 200,
            "MiB of attachments readers may upload from one client address in 24 hours."),
    Setting("chat.attachments_total_mib", integer(1, 100_000_000), 10_240,
            "MiB all attachments together may take in the data folder; past it uploads are "
            "refused until files are removed."),
)
