-- Login roles whose password expires (VALID UNTIL), soonest first: the Secrets pane's database rows.
SELECT rolname, rolvaliduntil FROM pg_roles
WHERE rolcanlogin AND rolvaliduntil IS NOT NULL AND rolvaliduntil <> 'infinity'
ORDER BY rolvaliduntil
