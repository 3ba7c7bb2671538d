"""An independent, deliberately plain reading of the resolution rules of
design/fleet-snapshot.md, over a snapshot decoded by cbor2: the oracle the library is
checked against. Slow and simple on purpose; shares no code with the library."""

ORDER = ["vins", "produced", "model", "variant", "powertrain", "market", "attributes",
         "no-ecu", "hw", "up-to-date", "from", "requires"]


def same(a, b):
    """Attribute equality: a bool is never an integer (Python has True == 1)."""
    return type(a) is type(b) and a == b


def resolve(snapshot, rule):
    return resolve_counting(snapshot, rule)[0]


def resolve_counting(snapshot, rule):
    """(resolution, number of vehicles with at least one target)."""
    table = snapshot.get(2, [])

    def s(v):
        return table[v] if isinstance(v, int) and not isinstance(v, bool) else v

    scanned, targets, excluded, targeted = 0, [], {}, 0
    for v in snapshot[3]:
        scanned += 1
        vin, model, variant, powertrain, market, produced, ecus = v[:7]
        model, variant, powertrain, market = s(model), s(variant), s(powertrain), s(market)
        attrs = {s(k): val for k, val in v[9].items()} if len(v) > 9 else {}
        ecus = [(s(e[0]), s(e[1]), s(e[2]), s(e[4]) if len(e) > 4 and e[4] is not None else None)
                for e in ecus]

        def why():
            if "vins" in rule and vin not in rule["vins"]:
                return "vins"
            if vin in rule.get("exclude-vins", []):
                return "vins"
            if "produced" in rule and not rule["produced"][0] <= produced <= rule["produced"][1]:
                return "produced"
            for key, value in (("models", model), ("variants", variant), ("powertrains", powertrain),
                               ("markets", market)):
                if key in rule and value not in rule[key]:
                    return key[:-1]
            for k, want in rule.get("attributes", {}).items():
                if k not in attrs or not same(attrs[k], want):
                    return "attributes"
            left = [e for e in ecus if e[0] == rule["ecu"]]
            if not left:
                return "no-ecu"
            if "hw" in rule:
                left = [e for e in left if e[1] in rule["hw"]]
                if not left:
                    return "hw"
            if "to" in rule:
                left = [e for e in left if e[2] != rule["to"]]
                if not left:
                    return "up-to-date"
            if "from" in rule:
                left = [e for e in left if e[2] in rule["from"]]
                if not left:
                    return "from"
            for node, versions in rule.get("requires", []):
                theirs = [e for e in ecus if e[0] == node]
                if not theirs or any(e[2] not in versions for e in theirs):
                    return "requires"
            return left

        r = why()
        if isinstance(r, str):
            excluded[r] = excluded.get(r, 0) + 1
        else:
            targeted += 1
            targets += [[vin, e[1], e[2], e[3]] for e in r]
    return {"scanned": scanned, "targets": targets, "excluded": excluded}, targeted
