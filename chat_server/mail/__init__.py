"""Mail to readers: the SMTP mailer, and what the mails say (confirming an address, replies
while the reader is away)."""
