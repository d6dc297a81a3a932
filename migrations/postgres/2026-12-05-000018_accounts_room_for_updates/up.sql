-- Every sign-in updates its account's row (last login and activity times). With full pages the new version of
-- the row goes to another page, so every index of the table gets an entry for it, the trigram indexes of the
-- search among them (about 1.7 ms of Postgres work per sign-in at 10^6 accounts). Room left on each page lets
-- such an update stay on its page as a heap-only tuple (HOT), which touches no index, since none of the
-- columns it changes is indexed. Pages written from now on keep the room; existing pages gain it as their rows
-- are updated and vacuumed (or at once with `VACUUM FULL accounts` in a maintenance window).
ALTER TABLE accounts SET (fillfactor = 85);
