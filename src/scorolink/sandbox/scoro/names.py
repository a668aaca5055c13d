"""Deterministic vocabulary: names derived from (seed, id) alone, so rows that point at each other agree
on names without looking each other up (which keeps generation streamable at any size)."""

from __future__ import annotations

import zlib

FIRST = ["Mari", "Jaan", "Liis", "Karl", "Anna", "Mihkel", "Kadri", "Tõnu", "Eva", "Rasmus", "Laura", "Oliver",
         "Grete", "Martin", "Sofia", "Henri", "Emma", "Markus", "Hanna", "Sander", "Lisa", "Jonas", "Maria",
         "Robert", "Elena", "Tom", "Sara", "Peter", "Nora", "Erik"]
LAST = ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Smith", "Jones",
        "Berg", "Lind", "Novak", "Meier", "Virtanen", "Ozols", "Kazlauskas", "Nielsen", "Brown", "Fischer",
        "Laine", "Kallas", "Oja", "Lepp", "Vaher", "Kuusk", "Raud", "Põder", "Org"]
CO_A = ["Nordic", "Baltic", "Blue", "Green", "North", "Bright", "Swift", "Silver", "Golden", "Urban", "Coastal",
        "Polar", "Amber", "Iron", "Maple", "Harbor", "Summit", "Cedar", "Lumen", "Vector"]
CO_B = ["Timber", "Logistics", "Design", "Media", "Systems", "Foods", "Works", "Consulting", "Labs", "Studio",
        "Energy", "Retail", "Capital", "Builders", "Analytics", "Travel", "Textiles", "Robotics", "Health", "Print"]
CO_C = ["OÜ", "AS", "Ltd", "GmbH", "Oy", "SIA", "AB", "Inc"]
PROJECT = ["Website relaunch", "Brand refresh", "ERP rollout", "Annual report", "Trade fair stand", "Mobile app",
           "Office move", "Data migration", "Campaign Q", "Training programme", "Product photo shoot",
           "Customer portal", "Security audit", "Video series", "Newsletter setup", "Market research"]
PRODUCT = ["Consulting hour", "Design hour", "Development hour", "Project management", "Licence", "Support plan",
           "Hosting", "Printing", "Travel", "Workshop", "Copywriting", "Photography", "Translation", "Audit",
           "Training day", "Hardware kit"]
TASK = ["Prepare brief", "Review draft", "Call client", "Update plan", "Write copy", "Fix layout", "Send invoice",
        "Collect feedback", "Book venue", "Test release", "Order materials", "Draft contract", "Plan sprint",
        "Check budget", "Prepare slides", "Approve design"]
CITY = [("EST", "Harju maakond", "Tallinn", "10111"), ("EST", "Tartu maakond", "Tartu", "51003"),
        ("FIN", "Uusimaa", "Helsinki", "00100"), ("LVA", "Rīga", "Riga", "LV-1050"), ("GBR", "Greater London",
        "London", "EC1A 1BB"), ("DEU", "Berlin", "Berlin", "10115"), ("SWE", "Stockholm", "Stockholm", "111 22"),
        ("LTU", "Vilnius", "Vilnius", "01100")]
STREET = ["Narva mnt", "Pärnu mnt", "Tartu mnt", "Main Street", "Mannerheimintie", "Brīvības iela",
          "Hauptstraße", "Drottninggatan", "Gedimino pr."]
WORDS = ["alpha", "bravo", "delta", "echo", "kilo", "lima", "nova", "orbit", "pixel", "quartz", "sigma", "terra"]


def mix(seed: int, salt: str, i: int) -> int:
    """A stable 32-bit hash of (seed, salt, i); Python's hash() is salted per process, so it cannot be used."""
    return zlib.crc32(f"{seed}|{salt}|{i}".encode())


def person(seed: int, i: int) -> tuple[str, str]:
    return FIRST[(i + seed) % len(FIRST)], LAST[(i * 7 + seed) % len(LAST)]


def company(seed: int, i: int) -> str:
    h = mix(seed, "company", i)
    return f"{CO_A[h % 20]} {CO_B[(h >> 5) % 20]} {CO_C[(h >> 10) % 8]}"


def project(seed: int, i: int) -> str:
    return f"{PROJECT[mix(seed, 'project', i) % len(PROJECT)]} {i}"


def product(seed: int, i: int) -> str:
    return f"{PRODUCT[mix(seed, 'product', i) % len(PRODUCT)]} {i}"


def product_price(seed: int, i: int) -> float:
    return float(20 + mix(seed, "price", i) % 180)


def email(first: str, last: str, domain: str) -> str:
    plain = f"{first}.{last}".lower().translate(str.maketrans("õäöüšž", "oaousz"))
    return f"{plain}@{domain}"


def address(seed: int, contact_id: int, k: int = 0) -> dict:
    h = mix(seed, "address", contact_id * 10 + k)
    country, county, city, zipcode = CITY[h % len(CITY)]
    street = f"{STREET[(h >> 4) % len(STREET)]} {1 + (h >> 8) % 120}"
    return {"address_id": contact_id * 10 + k, "country": country, "county": county, "municipality": city,
            "city": city, "street": street, "zipcode": zipcode,
            "full_address": f"{street}, {zipcode} {city}, {country}"}
