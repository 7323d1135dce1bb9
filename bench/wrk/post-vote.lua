-- The ballot's form, without a cookie: every POST is a new voter, as with the course's curl.
wrk.method = "POST"
wrk.body = "vote=a"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
