"""Regenerate countries.yaml: ISO 3166 names in English and Dutch (from the `pycountry` package, run
once; not a runtime dependency) plus the aliases, adjectives and regions written by the team below.

    .venv/bin/pip install pycountry && .venv/bin/python corpora/gazetteers/build_countries.py
"""

from __future__ import annotations

import gettext
from pathlib import Path

import yaml

# code: (English adjectives, Dutch adjectives, extra English names, extra Dutch names)
EXTRA = {
    "BD": (["Bangladeshi"], ["Bengaals", "Bengaalse", "Bangladeshi", "Bangladeshische"], [], []),
    "IN": (["Indian"], ["Indiaas", "Indiase"], [], []),
    "CN": (["Chinese"], ["Chinees", "Chinese"], ["Chinese mainland", "PRC"], []),
    "TR": (["Turkish"], ["Turks", "Turkse"], ["Turkey", "Türkiye"], ["Turkije"]),
    "ID": (["Indonesian"], ["Indonesisch", "Indonesische"], [], []),
    "MY": (["Malaysian"], ["Maleisisch", "Maleisische"], [], []),
    "VN": (["Vietnamese"], ["Vietnamees", "Vietnamese"], ["Vietnam", "Viet Nam"], []),
    "BR": (["Brazilian"], ["Braziliaans", "Braziliaanse"], [], []),
    "CI": (["Ivorian"], ["Ivoriaans", "Ivoriaanse"], ["Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire"], ["Ivoorkust"]),
    "GH": (["Ghanaian"], ["Ghanees", "Ghanese"], [], []),
    "PK": (["Pakistani"], ["Pakistaans", "Pakistaanse"], [], []),
    "MA": (["Moroccan"], ["Marokkaans", "Marokkaanse"], [], []),
    "EG": (["Egyptian"], ["Egyptisch", "Egyptische"], [], []),
    "ET": (["Ethiopian"], ["Ethiopisch", "Ethiopische"], [], []),
    "KE": (["Kenyan"], ["Keniaans", "Keniaanse"], [], []),
    "PE": (["Peruvian"], ["Peruaans", "Peruaanse"], [], []),
    "CO": (["Colombian"], ["Colombiaans", "Colombiaanse"], [], []),
    "MX": (["Mexican"], ["Mexicaans", "Mexicaanse"], [], []),
    "PT": (["Portuguese"], ["Portugees", "Portugese"], [], []),
    "IT": (["Italian"], ["Italiaans", "Italiaanse"], [], []),
    "ES": (["Spanish"], ["Spaans", "Spaanse"], [], []),
    "DE": (["German"], ["Duits", "Duitse"], [], []),
    "NL": (["Dutch"], ["Nederlands", "Nederlandse"], ["the Netherlands", "Holland"], []),
    "BE": (["Belgian"], ["Belgisch", "Belgische"], [], []),
    "FR": (["French"], ["Frans", "Franse"], [], []),
    "PL": (["Polish"], ["Pools", "Poolse"], [], []),
    "RO": (["Romanian"], ["Roemeens", "Roemeense"], [], []),
    "BG": (["Bulgarian"], ["Bulgaars", "Bulgaarse"], [], []),
    "TN": (["Tunisian"], ["Tunesisch", "Tunesische"], [], []),
    "KH": (["Cambodian"], ["Cambodjaans", "Cambodjaanse"], [], []),
    "MM": (["Burmese", "Myanmar"], ["Birmees", "Birmese", "Myanmarees"], ["Burma"], ["Birma"]),
    "TH": (["Thai"], ["Thais", "Thaise"], [], []),
    "PH": (["Filipino", "Philippine"], ["Filipijns", "Filipijnse"], ["the Philippines"], []),
    "LK": (["Sri Lankan"], ["Sri Lankaans", "Sri Lankaanse"], [], []),
    "UZ": (["Uzbek"], ["Oezbeeks", "Oezbeekse"], [], []),
    "TM": (["Turkmen"], ["Turkmeens", "Turkmeense"], [], []),
    "CD": (["Congolese"], ["Congolees", "Congolese"], ["DRC", "DR Congo", "Democratic Republic of the Congo", "Democratic Republic of Congo"], ["Democratische Republiek Congo", "DR Congo"]),
    "ZA": (["South African"], ["Zuid-Afrikaans", "Zuid-Afrikaanse"], [], []),
    "AR": (["Argentine", "Argentinian"], ["Argentijns", "Argentijnse"], [], []),
    "US": (["American"], ["Amerikaans", "Amerikaanse"], ["USA", "United States", "the US", "U.S."], ["Verenigde Staten", "VS"]),
    "GB": (["British"], ["Brits", "Britse"], ["United Kingdom", "UK", "Great Britain", "England", "Scotland", "Wales"], ["Verenigd Koninkrijk", "Groot-Brittannië", "Engeland"]),
    "JP": (["Japanese"], ["Japans", "Japanse"], [], []),
    "KR": (["South Korean", "Korean"], ["Zuid-Koreaans", "Zuid-Koreaanse"], ["South Korea"], ["Zuid-Korea"]),
    "AU": (["Australian"], ["Australisch", "Australische"], [], []),
    "CA": (["Canadian"], ["Canadees", "Canadese"], [], []),
    "RU": (["Russian"], ["Russisch", "Russische"], ["Russia"], ["Rusland"]),
    "UA": (["Ukrainian"], ["Oekraïens", "Oekraïense"], [], []),
    "CM": (["Cameroonian"], ["Kameroens", "Kameroense"], [], []),
    "NG": (["Nigerian"], ["Nigeriaans", "Nigeriaanse"], [], []),
    "EC": (["Ecuadorian"], ["Ecuadoraans", "Ecuadoraanse"], [], []),
    "GT": (["Guatemalan"], ["Guatemalteeks", "Guatemalteekse"], [], []),
    "HN": (["Honduran"], ["Hondurees", "Hondurese"], [], []),
    "BO": (["Bolivian"], ["Boliviaans", "Boliviaanse"], ["Bolivia"], ["Bolivia"]),
    "CL": (["Chilean"], ["Chileens", "Chileense"], [], []),
    "PY": (["Paraguayan"], ["Paraguayaans", "Paraguayaanse"], [], []),
    "MG": (["Malagasy"], ["Malagassisch", "Malagassische"], [], []),
    "LA": (["Laotian", "Lao"], ["Laotiaans", "Laotiaanse"], ["Laos"], ["Laos"]),
    "NP": (["Nepalese", "Nepali"], ["Nepalees", "Nepalese"], [], []),
    "UG": (["Ugandan"], ["Oegandees", "Oegandese"], [], []),
    "TZ": (["Tanzanian"], ["Tanzaniaans", "Tanzaniaanse"], ["Tanzania"], ["Tanzania"]),
    "ZM": (["Zambian"], ["Zambiaans", "Zambiaanse"], [], []),
    "ZW": (["Zimbabwean"], ["Zimbabwaans", "Zimbabwaanse"], [], []),
    "MZ": (["Mozambican"], ["Mozambikaans", "Mozambikaanse"], [], []),
    "LR": (["Liberian"], ["Liberiaans", "Liberiaanse"], [], []),
    "SL": (["Sierra Leonean"], ["Sierra Leoons", "Sierra Leoonse"], [], []),
    "ML": (["Malian"], ["Malinees", "Malinese"], [], []),
    "BF": (["Burkinabe"], ["Burkinees", "Burkinese"], [], []),
    "SD": (["Sudanese"], ["Soedanees", "Soedanese"], [], []),
    "SA": (["Saudi"], ["Saoedisch", "Saoedische"], ["Saudi Arabia"], ["Saoedi-Arabië"]),
    "AE": (["Emirati"], ["Emiraats", "Emiraatse"], ["UAE", "United Arab Emirates"], ["Verenigde Arabische Emiraten"]),
    "QA": (["Qatari"], ["Qatarees", "Qatarese"], [], []),
    "IR": (["Iranian"], ["Iraans", "Iraanse"], ["Iran"], ["Iran"]),
    "SY": (["Syrian"], ["Syrisch", "Syrische"], ["Syria"], ["Syrië"]),
    "CH": (["Swiss"], ["Zwitsers", "Zwitserse"], [], []),
    "AT": (["Austrian"], ["Oostenrijks", "Oostenrijkse"], [], []),
    "SE": (["Swedish"], ["Zweeds", "Zweedse"], [], []),
    "HU": (["Hungarian"], ["Hongaars", "Hongaarse"], [], []),
    "CZ": (["Czech"], ["Tsjechisch", "Tsjechische"], ["Czech Republic", "Czechia"], ["Tsjechië"]),
    "GR": (["Greek"], ["Grieks", "Griekse"], [], []),
    "RS": (["Serbian"], ["Servisch", "Servische"], [], []),
    "AL": (["Albanian"], ["Albanees", "Albanese"], [], []),
    "MD": (["Moldovan"], ["Moldavisch", "Moldavische"], ["Moldova"], ["Moldavië"]),
    "MK": (["Macedonian"], ["Macedonisch", "Macedonische"], ["North Macedonia"], ["Noord-Macedonië"]),
    "KZ": (["Kazakh"], ["Kazachs", "Kazachse"], [], []),
    "KG": (["Kyrgyz"], ["Kirgizisch", "Kirgizische"], [], []),
    "TJ": (["Tajik"], ["Tadzjieks", "Tadzjiekse"], [], []),
    "AF": (["Afghan"], ["Afghaans", "Afghaanse"], [], []),
    "HT": (["Haitian"], ["Haïtiaans", "Haïtiaanse"], [], []),
    "NI": (["Nicaraguan"], ["Nicaraguaans", "Nicaraguaanse"], [], []),
    "SV": (["Salvadoran"], ["Salvadoraans", "Salvadoraanse"], [], []),
    "VE": (["Venezuelan"], ["Venezolaans", "Venezolaanse"], ["Venezuela"], ["Venezuela"]),
    "TW": (["Taiwanese"], ["Taiwanees", "Taiwanese"], ["Taiwan"], ["Taiwan"]),
    "PG": (["Papua New Guinean"], [], [], []),
    "DO": (["Dominican"], ["Dominicaans", "Dominicaanse"], [], []),
}
REGIONS = {  # sourcing regions that reports name instead of the country
    "IN": ["Tamil Nadu", "Tirupur", "Tiruppur", "Gujarat", "Bangalore", "Bengaluru", "Uttar Pradesh", "Jharkhand"],
    "CN": ["Xinjiang", "Guangdong", "Zhejiang", "Jiangsu", "Hong Kong SAR", "Hong Kong"],
    "MY": ["Sabah", "Sarawak"],
    "ID": ["Kalimantan", "Sumatra", "Borneo", "Papua"],
    "BD": ["Dhaka", "Chittagong", "Gazipur", "Narayanganj"],
    "CD": ["Katanga", "Kivu", "North Kivu", "South Kivu"],
    "PK": ["Sindh", "Faisalabad", "Karachi", "Lahore"],
    "VN": ["Ho Chi Minh City"],
    "TR": ["Istanbul", "Izmir", "Denizli", "Bursa", "Şanlıurfa"],
    "ET": ["Hawassa"],
    "CI": ["Abidjan"],
}
# Names that are also ordinary words or person names: matched only with exactly this capitalisation.
CASE_SENSITIVE = ["Chad", "Jordan", "Georgia", "Turkey", "China", "Guinea", "Niger", "Mali", "Dominica", "Togo",
                  "Cuba", "Peru", "Oman", "Iran", "Laos", "Lao", "Thai", "Dutch", "Swiss", "Saudi", "US", "UK",
                  "VS", "Holland", "Indian", "Korean", "Nederlands"]


def main() -> None:
    import pycountry

    nl = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"])
    countries = []
    for c in pycountry.countries:
        adj_en, adj_nl, names_en, names_nl = EXTRA.get(c.alpha_2, ([], [], [], []))
        en = sorted({c.name, getattr(c, "common_name", c.name), *names_en})
        nl_names = sorted({nl.gettext(c.name), *names_nl})
        countries.append({"code": c.alpha_2, "name": getattr(c, "common_name", c.name), "en": en, "nl": nl_names,
                          "adjectives": {"en": adj_en, "nl": adj_nl}, "regions": REGIONS.get(c.alpha_2, [])})
    data = {"source": "ISO 3166-1 names in English and Dutch (pycountry 24.x, iso-codes); adjectives, aliases "
                      "and sourcing regions written by the team (corpora/gazetteers/build_countries.py)",
            "case_sensitive": CASE_SENSITIVE, "countries": countries}
    out = Path(__file__).with_name("countries.yaml")
    out.write_text("# Generated by build_countries.py; edit that file, not this one.\n"
                   + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    print(f"wrote {out} ({len(countries)} countries)")


if __name__ == "__main__":
    main()
