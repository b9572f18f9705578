from shared.register.history import load_seed
from shared.register.regions import load_regions


def test_every_municipality_of_the_region_belongs_to_exactly_one_house() -> None:
    municipalities = {p.code for p in load_seed().parties if p.kind == "municipality"}
    regions = load_regions()
    assert set(regions) == municipalities
    assert set(regions.values()) == {"brabant-zuidoost", "brabant-noordoost"}
    assert regions["gemeente-helmond"] == "brabant-zuidoost" and regions["gemeente-oss"] == "brabant-noordoost"
