"""Working diagnoses: local codes with their display names (DOMAIN.md section 1).

Local codes only: SNOMED CT codes are added where verified, and none is yet.
"""

DIAGNOSES: dict[str, str] = {
    "muscle_strain": "Muscle strain around the hip",
    "gluteal_tendinopathy": "Gluteal tendinopathy",
    "iliopsoas_tendinopathy": "Iliopsoas tendinopathy",
    "trochanteric_bursitis": "Trochanteric bursitis",
    "fai_cam": "Femoroacetabular impingement, cam type",
    "fai_pincer": "Femoroacetabular impingement, pincer type",
    "fai_combined": "Femoroacetabular impingement, combined type",
    "labral_tear": "Acetabular labral tear",
    "stress_fracture": "Stress fracture (femoral neck or pelvis)",
    "referred_lumbar": "Pain referred from the lumbar spine",
    "referred_sacroiliac": "Pain referred from the sacroiliac joint",
    "referred_nerve": "Pain referred from a nerve",
    "hip_osteoarthritis": "Hip osteoarthritis",
}

LOCAL_CODE_SYSTEM = "urn:clinic:diagnosis"
