"""Mystery contacts (method 5): scenarios, personas, waves, their schedule and dispatch, replies
read from the mailbox, the tester's contact log with evidence, progress and the calendar feed."""
