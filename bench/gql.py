#!/usr/bin/env python3
"""Set-up and checks for bench/run.sh, over the GraphQL API (standard library only).

    gql.py URL login USER PASSWORD            -> prints the token
    gql.py URL vehicles TOKEN N               -> creates N vehicles, prints their ids, one a line
    gql.py URL contacts TOKEN                 -> gives every 2020 holder a contact (for reminders)
    gql.py URL slots TOKEN VEHICLE_IDS_FILE FROM TO OUT
                                              -> writes the free half-day sessions of FROM..TO of
                                                 every vehicle, "unitId vehicleId date session" a
                                                 line, holders round-robin, ordered so that
                                                 consecutive lines use different vehicles
    gql.py URL book-confirm TOKEN SLOTS_FILE  -> books and confirms every line (one request each)
    gql.py URL count-visits TOKEN VEHICLE DATE
                                              -> live visits (REQUESTED, CONFIRMED) of that
                                                 vehicle on that day
    gql.py URL query TOKEN QUERY              -> prints the answer (exit 1 on GraphQL errors)
"""
import datetime
import json
import sys
import urllib.request


def post(url, token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as r:
        answer = json.load(r)
    if answer.get("errors"):
        raise SystemExit("GraphQL errors: " + json.dumps(answer["errors"], ensure_ascii=False)[:2000])
    return answer["data"]


def unit_ids(url, token):
    data = post(url, token, "{ plan(year: 2020) { units(first: 500) { nodes { id } } } }")
    return [n["id"] for n in data["plan"]["units"]["nodes"]]


def main():
    url, cmd, *args = sys.argv[1:]
    if cmd == "login":
        user, password = args
        data = post(url, None, "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                    {"u": user, "p": password})
        print(data["login"]["token"])
    elif cmd == "vehicles":
        token, n = args[0], int(args[1])
        for i in range(n):
            data = post(url, token, "mutation($n: String!) { createVehicle(input: { name: $n }) { id } }",
                        {"n": "鄂L采血%03d" % i})
            print(data["createVehicle"]["id"])
    elif cmd == "contacts":
        token = args[0]
        for uid in unit_ids(url, token):
            post(url, token, "mutation($u: ID!, $i: UnitContactInput!) { updateUnitContact(unitId: $u, input: $i) { name } }",
                 {"u": uid, "i": {"name": "张老师", "phone": "0715-8123456", "email": "liaison%s@example.org" % uid}})
    elif cmd == "slots":
        token, vehicles_file, start, end, out = args
        vehicles = open(vehicles_file).read().split()
        units = unit_ids(url, token)
        free = []
        day, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
        while day <= last:  # availability answers at most 92 days at a time
            to = min(last, day + datetime.timedelta(days=89))
            free += post(url, token, "query($f: Date!, $t: Date!, $v: ID!) { availability(from: $f, to: $t, vehicleId: $v) { date session } }",
                         {"f": day.isoformat(), "t": to.isoformat(), "v": vehicles[0]})["availability"]
            day = to + datetime.timedelta(days=1)
        halves = []
        for s in free:
            if s["session"] == "FULL_DAY":
                halves += [(s["date"], "MORNING"), (s["date"], "AFTERNOON")]
            else:
                halves.append((s["date"], s["session"]))
        halves = sorted(set(halves))
        with open(out, "w") as f:
            i = 0
            for date, session in halves:
                for v in vehicles:
                    f.write("%s %s %s %s\n" % (units[i % len(units)], v, date, session))
                    i += 1
    elif cmd == "book-confirm":
        token, slots = args
        for line in open(slots):
            unit, vehicle, date, session = line.split()
            visit = post(url, token, "mutation($i: BookVisitInput!) { bookVisit(input: $i) { id } }",
                         {"i": {"unitId": unit, "vehicleId": vehicle, "date": date, "session": session,
                                "expectedDonors": 20}})["bookVisit"]["id"]
            post(url, token, "mutation($id: ID!) { confirmVisit(id: $id) { id } }", {"id": visit})
    elif cmd == "count-visits":
        token, vehicle, date = args
        data = post(url, token, "query($v: ID!, $d: Date!) { visits(from: $d, to: $d, vehicleId: $v, status: [REQUESTED, CONFIRMED], first: 500) { totalCount } }",
                    {"v": vehicle, "d": date})
        print(data["visits"]["totalCount"])
    elif cmd == "query":
        token, query = args
        print(json.dumps(post(url, token, query), ensure_ascii=False))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
