function ApproveListing(){
    return "Approve"
}

function ApproveSignData(r){
    console.log("In Approve Sign data")
    console.log(JSON.stringify(r))
}
