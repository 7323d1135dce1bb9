-- GET the URL as curl would (Accept: */*): the counter answers its plain-text sentence.
wrk.headers["Accept"] = "*/*"
