"""The words personal_data.py leans on to tell a name from an ordinary word. Pure data.

Names are only ever looked for after a cue (a title, "customer", "Dear", a sign-off, an
email header) or as a first name from FIRST_NAMES followed by a surname. NOT_NAMES are the
capitalised words that turn up in those places and are not names ("Dear Customer",
"Regards, The Team", "customer Services"); NAME_WORDS are words that are names as often as
not (Grace, Will, May): accepted after a title or a cue, never on their own and never
searched for again elsewhere in the text. All lower case; compare with str.casefold().
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOT_NAMES = _words("""
    i me my mine we us our ours you your yours he him his she her hers they them their theirs
    it its one ones the a an this that these those and or but nor so if then than as at by for
    from in into of off on onto out over to with without within about above after against
    along among around before behind below beneath beside between beyond during except inside
    near since through throughout till until up upon via when whenever while where wherever
    which who whom whose what whatever why how all any anyone anything each every everyone
    everybody everything both either neither some someone something somebody no none nobody
    nothing not yes yeah there here also just only very too again once still yet already even
    ever never always often sometimes usually later soon now next first second third last
    finally however therefore meanwhile unfortunately luckily fortunately because although
    though afterwards eventually overall instead otherwise besides anyway please thanks thank
    sorry regards kind kindest best warm warmest sincerely faithfully truly respectfully dear
    hi hello hey cheers ok okay welcome good great many much more most less least other others
    another same such own sir madam madame mr mrs ms miss mx dr prof rev team teams all
    everyone colleague colleagues customer customers client clients caller callers complainant
    patient tenant resident guest passenger claimant user users service services care support
    help helpdesk desk centre center contact relations experience satisfaction journey charter
    manager managers management supervisor leader lead director adviser advisor advisers
    advisors agent agents assistant officer officers staff member members department dept
    office head store stores shop shops branch branches company companies ltd limited plc inc
    group unit units level levels diploma certificate award criteria criterion ac lo evidence
    account accounts email emails e-mail phone telephone mobile call calls letter letters
    complaint complaints policy policies procedure procedures process case cases log logs crm
    system systems portal website web online internet app name names number numbers address
    addresses order orders refund refunds replacement voucher product products delivery
    courier quality feedback survey surveys report reports review reviews notes note file
    files record records form forms section paragraph page appendix attached attachment
    subject re fw fwd date time today tomorrow yesterday tonight morning afternoon evening
    night day days week weeks weekend month months year years hour hours minute minutes
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march july september october november december jan feb mar
    apr jun jul aug sep sept oct nov dec uk gb england scotland wales ireland britain british
    english welsh scottish irish european europe london street road avenue drive crescent
    gardens grove terrace square station hospital school college university market airport
    northern southern eastern western central city town village county council government
    nhs hmrc dwp bank building society insurance ai chatgpt copilot gemini grammarly microsoft
    google word excel outlook teams zoom whatsapp facebook twitter instagram yes no
    """)

# Names that are also everyday words: accepted after a title or a cue, never alone.
NAME_WORDS = _words("""
    will may june april august mark bill grace hope faith joy rose daisy lily holly ivy dawn
    summer autumn winter amber jade ruby pearl crystal sky storm frank guy ray rob pat sue jack
    jean chase don drew gene art bob penny sandy rusty melody harmony patience prudence charity
    honor honour mercy destiny precious sunny star rich cliff dale glen heath lane brook marsh
    miles norman sterling carol eve chance max hunter cole stone rock major king prince duke
    earl baron dean bishop knight page cook baker mason archer porter fisher taylor wood hill
    green white black brown young rich long bell west north hall gray grey violet iris poppy
    willow florence victoria georgia carolina paris austin jordan lincoln chester kent lane
    hill park hall church bridge house court close way place line north south east west
    """)

# Common first names (in the UK, of many origins), found without a cue when a capitalised
# surname follows: "I called John Smith". Leaves out every word in NAME_WORDS.
FIRST_NAMES = _words("""
    oliver george harry jacob noah charlie thomas oscar william james leo alfie henry joshua
    freddie archie ethan isaac alexander joseph edward samuel daniel arthur lucas mohammed
    muhammad mohammad mohamed ahmed ali omar yusuf ibrahim hassan adam david michael john paul
    peter andrew richard robert christopher matthew steven stephen simon gary kevin ian neil
    martin anthony tony jason lee craig darren wayne carl scott stuart graham colin keith
    brian alan barry derek trevor nigel philip phil roger raymond kenneth ronald dennis terry
    patrick sean liam connor callum kieran ryan luke nathan aaron tyler kyle jamie ben
    benjamin sam tom tim timothy nick nicholas jonathan jon matt chris dave mike steve pete
    andy jim joe sanjay rajesh raj amit vikram arjun rohan hamza bilal tariq imran kwame kofi
    emeka chinedu tunde piotr tomasz marek lukasz łukasz jakub krzysztof andrei mihai florin
    luis carlos jose josé juan miguel pedro marco giovanni luca francesco ahmad mustafa khalid
    rashid wei hiroshi kenji olivia amelia isla ava mia isabella rosie sophia freya emily
    ella evie elsie charlotte sophie chloe jessica lucy hannah emma sarah laura rebecca rachel
    amy katie kate catherine katherine elizabeth lisa claire clare michelle nicola joanne
    helen karen julie susan linda margaret patricia jennifer mary anne ann jane janet barbara
    christine deborah debbie angela tracey tracy donna gemma kelly samantha stacey natalie
    alice ruth zoe zoë megan abigail leah aisha fatima amina maryam zainab ayesha priya anita
    sunita neha pooja divya deepa asha shreya chidinma ngozi amara yetunde agnieszka
    katarzyna magdalena anna maria ana elena ioana andreea sofia giulia francesca lucia carmen
    yuki mei siobhan niamh aoife bethan cerys rhys dylan owen gareth dafydd fiona morag
    alistair hamish ewan angus
    """) - NAME_WORDS

TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame", "Lady", "Lord", "Rev")

# Whose data it is, when the words just before say so ("the customer's email: ...").
ROLES = {"customer": "customer", "customers": "customer", "client": "client",
         "clients": "client", "caller": "caller", "callers": "caller",
         "complainant": "complainant", "patient": "patient", "patients": "patient",
         "tenant": "tenant", "tenants": "tenant", "guest": "guest", "guests": "guest",
         "passenger": "passenger", "passengers": "passenger", "claimant": "claimant"}
# ... unless the role word is part of a job or a department: "customer service adviser".
NOT_A_ROLE_AFTER = _words("""
    service services care relations experience support adviser advisor advisers advisors
    team teams charter journey satisfaction contact centre center manager managers agent
    agents facing feedback base
    """)

# The part before @ of shared mailboxes, not a person's: info@, customer.care@, support@.
ROLE_MAILBOXES = _words("""
    info information support help helpdesk enquiries enquiry customercare customerservice
    customerservices customerrelations care service services noreply donotreply admin sales
    contact contactus hello office complaints complaint reception team accounts billing
    orders feedback marketing press media hr jobs careers webmaster postmaster mail
    bookings returns
    """)
